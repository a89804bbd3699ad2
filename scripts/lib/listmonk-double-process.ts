// The Listmonk test double in a process of its own, as a real server would be (its work does not share the
// benchmark's CPU time): started on a free port, its address read from what it prints.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { NODE22, ROOT } from './env.ts';

export async function startDoubleProcess(user: string, token: string): Promise<{ url: string; process: ChildProcess }> {
	const child = spawn(NODE22, [join(ROOT, 'scripts/listmonk-double.ts'), '--port', '0', '--user', user, '--token', token], { stdio: ['ignore', 'pipe', 'inherit'] });
	const url = await new Promise<string>((resolve, reject) => {
		let out = '';
		child.stdout!.on('data', (chunk: Buffer) => {
			out += chunk.toString();
			const m = /listening on (\S+)/.exec(out);
			if (m) resolve(m[1]!);
		});
		child.once('exit', (code) => reject(new Error(`the Listmonk double exited (${code}) before listening`)));
	});
	return { url, process: child };
}
