// Polls until a probe's value is accepted or the time is up; returns the last value (the caller asserts on it).
export async function eventually<T>(probe: () => Promise<T>, accept: (v: T) => boolean, timeoutMs = 5000): Promise<T> {
	const deadline = Date.now() + timeoutMs;
	let last = await probe();
	while (!accept(last) && Date.now() < deadline) {
		await new Promise((r) => setTimeout(r, 25));
		last = await probe();
	}
	return last;
}
