import fs from 'node:fs';
import path from 'node:path';
import type Koa from 'koa';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.txt': 'text/plain; charset=utf-8',
  '.webmanifest': 'application/manifest+json',
};

/** Inside the build, what the UI server itself loads (ui/vite.markdown.config.js writes it). */
const SERVER_DIR = '_server';

/** The SPA's entry page: every path that is not a file renders the app, which routes itself. */
const FALLBACK_PAGE = 'index.html';

/**
 * Serves the built UI from `root`. Files under `_app/immutable/` carry a content hash in their
 * names and are cached for a year; everything else is revalidated, so a rebuilt UI shows at once.
 */
export function staticFiles(root: string): Koa.Middleware {
  const base = path.resolve(root);
  return async (ctx, next) => {
    if (ctx.method !== 'GET' && ctx.method !== 'HEAD') {
      await next();
      return;
    }
    let rel: string;
    try {
      rel = decodeURIComponent(ctx.path);
    } catch {
      return ctx.throw(400, 'bad path');
    }
    const file = path.resolve(base, `.${rel}`);
    if (file !== base && !file.startsWith(base + path.sep)) return ctx.throw(404);
    // The server's own code built with the UI (render.ts loads it), not a file for browsers.
    if (file.startsWith(path.join(base, SERVER_DIR) + path.sep)) return ctx.throw(404);
    let target = file;
    let stat = await fs.promises.stat(target).catch(() => null);
    if (!stat?.isFile()) {
      // A missing asset is a 404; any other path is a page of the app.
      if (rel.startsWith('/_app/') || path.extname(rel) !== '') return ctx.throw(404);
      target = path.join(base, FALLBACK_PAGE);
      stat = await fs.promises.stat(target).catch(() => null);
      if (!stat?.isFile()) return ctx.throw(503, 'the Temporal UI is not built: run `npm run build`', { expose: true });
    }
    ctx.type = TYPES[path.extname(target)] ?? 'application/octet-stream';
    ctx.length = stat.size;
    ctx.set('Cache-Control', rel.startsWith('/_app/immutable/') ? 'public, max-age=31536000, immutable' : 'no-cache');
    if (ctx.method === 'HEAD') ctx.status = 200;
    else ctx.body = fs.createReadStream(target);
  };
}
