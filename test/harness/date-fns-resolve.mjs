// Preloaded into the test Directus processes (NODE_OPTIONS=--import). Node 22 re-parses a package's whole
// `exports` map each time it looks up the package of an ES module file; date-fns's is 200 KB and Directus loads its
// ~250 files: 1–1.5 s of CPU per Directus start. Its files import each other as "./name.js" inside a
// "type": "module" package, so such an import resolves to the sibling file as an ES module without the lookup.
import { registerHooks } from 'node:module';

const DATE_FNS = '/node_modules/date-fns/';

registerHooks({
	resolve(specifier, context, nextResolve) {
		const parent = context.parentURL;
		if (parent?.startsWith('file:') && parent.includes(DATE_FNS) && parent.endsWith('.js') && specifier.startsWith('./') && specifier.endsWith('.js')) {
			return { url: new URL(specifier, parent).href, format: 'module', shortCircuit: true };
		}
		return nextResolve(specifier, context);
	},
});
