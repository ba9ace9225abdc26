import Router from '@koa/router';
import type { DocumentStore } from '../db/document-store';
import { HttpProblem } from './errors';
import { verifyMediaSignature } from './media-url';

/**
 * The transmitted PDF of a fax, for the carrier to download through a signed, expiring
 * link. Any wrong, expired or purged link is a plain 404.
 */
export function createMediaRoutes(deps: { store: DocumentStore; appSecret: string }): Router {
  const router = new Router();
  router.get('/media/:file', async (ctx) => {
    const match = /^([0-9a-f-]{36})\.pdf$/i.exec((ctx.params as { file: string }).file);
    const exp = Number(ctx.query.exp);
    const sig = typeof ctx.query.sig === 'string' ? ctx.query.sig : '';
    if (!match || !verifyMediaSignature(match[1], exp, sig, deps.appSecret)) throw new HttpProblem(404, 'not_found');
    const doc = await deps.store.get(match[1]);
    if (!doc || doc.kind !== 'fax_pdf') throw new HttpProblem(404, 'not_found');
    ctx.type = 'application/pdf';
    ctx.set('Cache-Control', 'private, no-store');
    ctx.body = doc.data;
  });
  return router;
}
