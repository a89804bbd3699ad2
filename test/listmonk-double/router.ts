// Route matching like echo's router: static segments win over `:params`; a path that exists for other methods
// only is 405, an unknown /api path 404.

export interface RouteSpec<H> {
	method: string;
	pattern: string;
	handler: H;
}

type Match<H> = { kind: 'found'; route: RouteSpec<H>; params: Record<string, string> } | { kind: 'method-not-allowed'; allow: string[] } | { kind: 'not-found' };

export class Router<H> {
	private readonly routes: (RouteSpec<H> & { segments: string[] })[] = [];

	add(route: RouteSpec<H>): void {
		this.routes.push({ ...route, segments: route.pattern.split('/').slice(1) });
	}

	match(method: string, path: string): Match<H> {
		const parts = path.split('/').slice(1);
		const candidates: { route: RouteSpec<H> & { segments: string[] }; params: Record<string, string>; score: number[] }[] = [];
		for (const route of this.routes) {
			if (route.segments.length !== parts.length) continue;
			const params: Record<string, string> = {};
			const score: number[] = [];
			let ok = true;
			for (let i = 0; i < parts.length && ok; i++) {
				const seg = route.segments[i]!;
				if (seg.startsWith(':')) {
					if (parts[i] === '') ok = false;
					params[seg.slice(1)] = decodeURIComponent(parts[i]!);
					score.push(1);
				} else {
					ok = seg === parts[i];
					score.push(2);
				}
			}
			if (ok) candidates.push({ route, params, score });
		}
		if (candidates.length === 0) return { kind: 'not-found' };
		const byMethod = candidates.filter((c) => c.route.method === method);
		if (byMethod.length === 0) return { kind: 'method-not-allowed', allow: [...new Set(candidates.map((c) => c.route.method))] };
		byMethod.sort((a, b) => {
			for (let i = 0; i < a.score.length; i++) if (a.score[i] !== b.score[i]) return b.score[i]! - a.score[i]!;
			return 0;
		});
		return { kind: 'found', route: byMethod[0]!.route, params: byMethod[0]!.params };
	}
}
