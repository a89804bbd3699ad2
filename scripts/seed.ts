// `npm run seed -- --clients N --seed S [--as-of YYYY-MM-DD]`: demo clients, deals and items, deterministic by
// seed, written in bulk into the database `npm start` uses (running or not).
import { intFlag, parseArgs } from './lib/args.ts';
import { openKnex } from './lib/db.ts';
import { projectEnv } from './lib/env.ts';
import { ensureInstalled } from './lib/prepare.ts';
import { seedDemo, todayUtc } from './lib/seed.ts';

const { flags } = parseArgs(process.argv.slice(2));
if (flags['help']) {
	console.log('Usage: npm run seed -- --clients N [--seed S] [--as-of YYYY-MM-DD] [--batch 5000]\nAppends N generated clients (with ~10 deals each on average) to the base.');
	process.exit(0);
}
try {
	const clients = intFlag(flags, 'clients', 1000, 1);
	const seed = intFlag(flags, 'seed', 1);
	const asOf = flags['as-of'] ? new Date(`${flags['as-of']}T00:00:00Z`) : todayUtc();
	if (Number.isNaN(asOf.getTime())) throw new Error(`--as-of must be a date like 2026-01-31, got "${flags['as-of']}"`);
	const env = projectEnv();
	await ensureInstalled(env);
	const knex = openKnex(env);
	try {
		const result = await seedDemo(knex, { clients, seed, asOf, batchClients: intFlag(flags, 'batch', 5000, 1) });
		console.log(JSON.stringify({ seeded: result }));
	} finally {
		await knex.destroy();
	}
} catch (error) {
	console.error(`seed: ${error instanceof Error ? error.message : error}`);
	process.exit(1);
}
