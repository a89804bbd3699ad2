// A progress bar on stderr: redrawn in place on a terminal, a line every 10 % otherwise (CI logs).
export class Progress {
	private readonly started = Date.now();
	private lastDecile = -1;
	private readonly tty = Boolean(process.stderr.isTTY);

	private readonly label: string;
	private readonly total: number;
	private readonly unit: string;

	constructor(label: string, total: number, unit = 'rows') {
		this.label = label;
		this.total = total;
		this.unit = unit;
	}

	update(done: number, extra = ''): void {
		const ratio = this.total ? Math.min(1, done / this.total) : 1;
		const elapsed = (Date.now() - this.started) / 1000;
		const rate = elapsed > 0 ? done / elapsed : 0;
		const eta = rate > 0 ? (this.total - done) / rate : 0;
		const width = 30;
		const bar = '█'.repeat(Math.round(ratio * width)).padEnd(width, '░');
		const line = `${this.label} ${bar} ${(ratio * 100).toFixed(0).padStart(3)}% ${done.toLocaleString('en')}/${this.total.toLocaleString('en')} ${this.unit} · ${Math.round(rate).toLocaleString('en')}/s · ETA ${eta.toFixed(0)} s${extra ? ` · ${extra}` : ''}`;
		if (this.tty) process.stderr.write(`\r${line}\x1b[K`);
		else {
			const decile = Math.floor(ratio * 10);
			if (decile !== this.lastDecile) {
				this.lastDecile = decile;
				process.stderr.write(`${line}\n`);
			}
		}
	}

	done(summary: string): void {
		if (this.tty) process.stderr.write('\r\x1b[K');
		console.log(`${this.label} ${summary} in ${((Date.now() - this.started) / 1000).toFixed(1)} s`);
	}
}
