import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Router from '@koa/router';
import type Koa from 'koa';
import serve from 'koa-static';

/** The stylesheet and images (as written) and the page script (compiled from src/web/client). */
const ROOT = path.resolve(__dirname, '../..');
const ASSET_DIRS = [path.join(ROOT, 'public'), path.join(ROOT, 'dist', 'public')];

/**
 * The pages' static files, served under `/assets/` with a content hash in their URLs, so
 * browsers may keep them for a year and still see every change.
 */
export class Assets {
  private readonly versions = new Map<string, string>();

  constructor(private readonly dirs = ASSET_DIRS) {
    for (const dir of dirs) {
      if (!fs.existsSync(dir)) continue;
      for (const name of fs.readdirSync(dir)) {
        const file = path.join(dir, name);
        if (!fs.statSync(file).isFile()) continue;
        this.versions.set(name, createHash('sha256').update(fs.readFileSync(file)).digest('base64url').slice(0, 10));
      }
    }
  }

  /** `/assets/style.css?v=…`; a missing file (a build step not run) keeps a plain URL. */
  url(name: string): string {
    const version = this.versions.get(name);
    return version ? `/assets/${name}?v=${version}` : `/assets/${name}`;
  }

  routes(): Router {
    const router = new Router({ prefix: '/assets' });
    const servers: Koa.Middleware[] = this.dirs.map((dir) => serve(dir, { maxage: 365 * 86_400_000, immutable: true, gzip: false, brotli: false, index: false, hidden: false }));
    router.get('/:file', async (ctx, next) => {
      const file = (ctx.params as { file: string }).file;
      if (!this.versions.has(file)) {
        await next();
        return;
      }
      // koa-static serves by path: strip the prefix so it looks in the folder itself.
      ctx.path = `/${file}`;
      // Versioned and public: cached for long (koa-send keeps a Cache-Control already set, the frame's no-store).
      ctx.remove('Cache-Control');
      for (const s of servers) {
        await s(ctx, async () => undefined);
        if (ctx.body !== undefined) return;
      }
    });
    return router;
  }
}
