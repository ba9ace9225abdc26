import type Koa from 'koa';
import type { DocumentStore } from '../../db/document-store';
import { HttpProblem } from '../errors';
import { currentFax } from '../middleware/require-fax';

/** GET /api/faxes/:id/pages/:page[.png][?size=thumb]: a page as it will be transmitted, while retained (never cached: it is the sender's document). */
export function pageImageHandler(store: DocumentStore): Koa.Middleware {
  return async (ctx) => {
    const fax = currentFax(ctx);
    const page = Number((ctx.params as { page: string }).page.replace(/\.png$/, ''));
    if (!Number.isInteger(page) || page < 1 || page > (fax.pages ?? 0)) throw new HttpProblem(404, 'not_found');
    const image = await store.find(fax.id, ctx.query.size === 'thumb' ? 'thumbnail' : 'preview', page);
    if (!image) throw new HttpProblem(404, 'not_found');
    ctx.type = 'image/png';
    ctx.body = image.data;
  };
}
