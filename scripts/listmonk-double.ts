// `npm run listmonk:double -- --port N --user U --token T [--version v6.2.0] [--host 127.0.0.1]`: a Listmonk v6.2 API
// test double on a real port, with one Super Admin API user. Control endpoints outside /api (faults, reset, state)
// are described in test/listmonk-double/README.md. Stops on SIGINT/SIGTERM.
import { parseArgs } from 'node:util';
import { startDoubleServer } from '../test/listmonk-double/index.ts';

const USAGE = 'Usage: npm run listmonk:double -- --port N --user U --token T [--version v6.2.0] [--host 127.0.0.1] [--messengers telegram,sms]';

let values: { port?: string; user?: string; token?: string; version?: string; host?: string; messengers?: string; help?: boolean };
try {
	({ values } = parseArgs({
		options: { port: { type: 'string' }, user: { type: 'string' }, token: { type: 'string' }, version: { type: 'string' }, host: { type: 'string' }, messengers: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
		strict: true,
		allowPositionals: false,
	}));
} catch (error) {
	console.error(`listmonk-double: ${(error as Error).message}\n${USAGE}`);
	process.exit(2);
}
if (values.help) {
	console.log(USAGE);
	process.exit(0);
}
const port = Number(values.port ?? '0');
if (!Number.isInteger(port) || port < 0 || port > 65535) {
	console.error(`listmonk-double: --port must be 0–65535\n${USAGE}`);
	process.exit(2);
}
if (!values.user || !values.token) {
	console.error(`listmonk-double: --user and --token are required\n${USAGE}`);
	process.exit(2);
}

const double = await startDoubleServer(
	{ port, host: values.host ?? '127.0.0.1', version: values.version ?? 'v6.2.0', messengers: (values.messengers ?? '').split(',').map((m) => m.trim()).filter(Boolean), users: [{ username: values.user, token: values.token, permissions: 'super' }] },
	true,
);
console.log(`listmonk double listening on ${double.url}`);

const stop = (): void => {
	double.close().then(() => process.exit(0), () => process.exit(1));
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
