// Injected failures: checked in order, the first matching fault applies and its `times` counts down.
import type { Fault } from './types.ts';

const KINDS = ['status', 'timeout', 'reset', 'slow', 'forbidden'];

export class Faults {
	private readonly active: { fault: Fault; remaining: number }[] = [];

	add(fault: Fault): void {
		if (!KINDS.includes(fault.kind)) throw new Error(`unknown fault kind ${String(fault.kind)} (one of ${KINDS.join(', ')})`);
		this.active.push({ fault: { ...fault }, remaining: fault.times ?? Infinity });
	}

	clear(): void {
		this.active.length = 0;
	}

	/** The fault for this request, if any, spending one of its `times`. */
	take(method: string, pathname: string): Fault | null {
		for (let i = 0; i < this.active.length; i++) {
			const entry = this.active[i]!;
			const { fault } = entry;
			if (fault.method && fault.method.toUpperCase() !== method.toUpperCase()) continue;
			if (fault.path !== undefined && !(typeof fault.path === 'string' ? fault.path === pathname : fault.path.test(pathname))) continue;
			entry.remaining--;
			if (entry.remaining <= 0) this.active.splice(i, 1);
			return fault;
		}
		return null;
	}
}
