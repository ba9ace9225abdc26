import { createSession } from 'better-sse';
import type Koa from 'koa';
import { FINAL_FAX_STATUSES } from '../../domain/status';
import type { Faxes } from '../../db/faxes';
import type { FaxChanges } from '../fax-changes';
import { currentFax } from '../middleware/require-fax';

export interface FaxEventsDeps {
  faxes: Faxes;
  changes: FaxChanges;
}

/**
 * GET /{lang}/faxes/:id/events: server-sent events for the fax's page. Each change of the
 * fax (or of one of its attempts) is one `change` event carrying its status and version;
 * the page then fetches its new content. The stream ends shortly after the fax is final.
 */
export function faxEvents(deps: FaxEventsDeps): Koa.Middleware {
  return async (ctx) => {
    const faxId = currentFax(ctx).id;
    ctx.req.socket.setTimeout(0);
    ctx.req.socket.setNoDelay(true);
    ctx.req.socket.setKeepAlive(true);
    // The stream is written by the library, not by Koa (whose default status is 404 until a body is set).
    ctx.status = 200;
    ctx.respond = false;
    const session = await createSession(ctx.req, ctx.res, { statusCode: 200, keepAlive: 20_000, retry: 3_000, headers: { 'Cache-Control': 'no-store' } });
    let last = '';
    let busy = false;
    let again = false;
    const push = async (): Promise<void> => {
      if (busy) {
        again = true;
        return;
      }
      busy = true;
      try {
        do {
          again = false;
          const fax = await deps.faxes.find(faxId);
          if (!fax || !session.isConnected) return;
          const version = `${fax.status}:${fax.updatedAt.getTime()}`;
          if (version !== last) {
            last = version;
            session.push({ status: fax.status, version }, 'change');
          }
          if (FINAL_FAX_STATUSES.includes(fax.status)) {
            // The money and the purge time follow the final status closely; then the page is done.
            setTimeout(() => ctx.res.end(), 5_000).unref();
          }
        } while (again);
      } finally {
        busy = false;
      }
    };
    const unsubscribe = deps.changes.subscribe(faxId, () => void push().catch(() => undefined));
    session.once('disconnected', unsubscribe);
    await push();
  };
}
