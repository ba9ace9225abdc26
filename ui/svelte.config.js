import adapter from '@sveltejs/adapter-static';

const lib = 'node_modules/@temporalio/ui/dist';

/** @type {import('@sveltejs/kit').Config} */
export default {
  kit: {
    // A single-page app: `durafax ui` answers every page path with index.html.
    adapter: adapter({ pages: 'build', assets: 'build', fallback: 'index.html' }),
    // The published package is the UI's own src/lib, so `$lib/…` resolves into it.
    files: { lib },
    alias: { $types: `${lib}/types` },
    // The UI polls its server; a new build shows on the next full load, no version polling.
    version: { pollInterval: 0 },
  },
};
