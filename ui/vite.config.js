import { sveltekit } from '@sveltejs/kit/vite';
import { defineConfig } from 'vite';

export default defineConfig({
  plugins: [sveltekit()],
  define: {
    // The API is served by the same origin as the pages (`durafax ui`).
    'import.meta.env.VITE_API': JSON.stringify(''),
  },
  build: {
    // The UI's bundles are large by nature; the warning would only be noise.
    chunkSizeWarningLimit: 4096,
  },
});
