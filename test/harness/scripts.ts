// Runs one of our npm scripts (seed, import) as a real child process against a suite's database.
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { NODE22, ROOT } from '../../scripts/lib/env.ts';
import type { TestDirectus } from './directus.ts';

export interface ScriptResult { code: number; stdout: string; stderr: string; json: any }

export function runScript(d: TestDirectus, script: string, args: string[], extraEnv: Record<string, string> = {}): Promise<ScriptResult> {
	return new Promise((done) => {
		const child = spawn(NODE22, [resolve(ROOT, 'scripts', script), ...args], {
			cwd: ROOT,
			env: { PATH: process.env['PATH'], HOME: process.env['HOME'], ENV_FILE: '/nonexistent.env', DATA_DIR: resolve(ROOT, 'test-results/data'), ...d.dbEnv, ...extraEnv },
			stdio: ['ignore', 'pipe', 'pipe'],
		});
		let stdout = '';
		let stderr = '';
		child.stdout.on('data', (c) => (stdout += c));
		child.stderr.on('data', (c) => (stderr += c));
		child.on('close', (code) => {
			const last = stdout.trim().split('\n').reverse().find((l) => l.startsWith('{'));
			done({ code: code ?? 1, stdout, stderr, json: last ? JSON.parse(last) : null });
		});
	});
}
