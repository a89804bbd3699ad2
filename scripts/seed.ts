// `npm run seed -- --clients N --seed S [--as-of YYYY-MM-DD]`: demo clients, deals and items, deterministic by
// seed, written in bulk into the database `npm start` uses (running or not).
import { cli, dateFlag, intFlag } from './lib/args.ts';
import { openKnex } from './lib/db.ts';
import { projectEnv } from './lib/env.ts';
import { ensureInstalled, QUEUED_NOTICE } from './lib/prepare.ts';
import { seedDemo, todayUtc } from './lib/seed.ts';

const USAGE = 'Usage: npm run seed -- --clients N [--seed S] [--as-of YYYY-MM-DD] [--batch 5000]\nAppends N generated clients (with ~10 deals each on average) to the base.';
// every flag is read and checked here, before the environment (secrets, data folder) or the database is touched
const options = cli('seed', USAGE, { clients: { type: 'string' }, seed: { type: 'string' }, 'as-of': { type: 'string' }, batch: { type: 'string' } }, ({ flags }) => ({
	clients: intFlag(flags, 'clients', 1000, 1),
	seed: intFlag(flags, 'seed', 1),
	asOf: dateFlag(flags, 'as-of', todayUtc),
	batchClients: intFlag(flags, 'batch', 5000, 1),
}));
try {
	const env = projectEnv();
	await ensureInstalled(env);
	const knex = openKnex(env);
	try {
		const result = await seedDemo(knex, options);
		console.log(JSON.stringify({ seeded: result }));
		// what happens next (stderr: stdout is the summary scripts read)
		console.error(QUEUED_NOTICE);
	} finally {
		await knex.destroy();
	}
} catch (error) {
	console.error(`seed: ${error instanceof Error ? error.message : error}`);
	process.exit(1);
}
