import type Koa from 'koa';
import type { Faxes } from '../../db/faxes';
import { faxView } from '../fax-view';
import { localeOf } from '../middleware/locale';
import { currentFax } from '../middleware/require-fax';

/** GET /api/faxes/:id: the fax as its owner may see it. */
export function readFaxHandler(faxes: Faxes): Koa.Middleware {
  return async (ctx) => {
    const fax = currentFax(ctx);
    ctx.set('Cache-Control', 'no-store');
    ctx.body = faxView(fax, await faxes.attempts(fax.id), localeOf(ctx));
  };
}
