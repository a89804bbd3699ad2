// What this instance knows about its install, shared by the bundle's entries (they are one module graph).
import { hostname } from 'node:os';
import type { InstallReport } from './install/install.ts';

/** Who holds a cluster lock or ran a job: host, process and a random tag (one per process). */
export const INSTANCE_ID = `${hostname()}:${process.pid}:${Math.random().toString(36).slice(2, 8)}`;

export const installState: { report: InstallReport | null; error: string | null } = { report: null, error: null };
