// What this instance knows about its install, shared by the bundle's entries (they are one module graph).
import type { InstallReport } from './install/install.ts';

export const installState: { report: InstallReport | null; error: string | null } = { report: null, error: null };
