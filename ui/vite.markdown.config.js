import { defineConfig } from 'vite';

// The markdown renderer of server/markdown.js as one CommonJS file for the UI server (Node),
// its packages inside: in production the server has ui/build but no ui/node_modules.
// scripts/ui.js builds it after the app, into ui/build/_server (which static.ts never serves).
export default defineConfig({
  build: {
    ssr: 'server/markdown.js',
    outDir: 'build/_server',
    emptyOutDir: true,
    target: 'node20',
    rollupOptions: { output: { format: 'cjs', entryFileNames: 'markdown.cjs' } },
  },
  ssr: { noExternal: true },
  logLevel: 'warn',
});
