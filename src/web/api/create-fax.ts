import type Koa from 'koa';
import { acceptFax, checkFaxForm, withFaxUpload, type CreateFaxDeps } from '../create-fax';
import type { RateLimits } from '../middleware/rate-limit';
import { privateLinkPath } from '../page-paths';

/** POST /api/faxes: a multipart upload (`document`, `to`, optional `email`, `locale`, `paper`, cover fields). */
export function createFaxHandler(deps: CreateFaxDeps & { limits: RateLimits }): Koa.Middleware {
  return async (ctx) => {
    const idempotencyKey = ctx.get('Idempotency-Key').trim() || null;
    const fax = await withFaxUpload(ctx, deps, async ({ fields, files }) => {
      const checked = checkFaxForm(ctx, fields, files, deps.allowedCountries);
      if (!checked.ok) throw checked.problems[0];
      await deps.limits.consume('uploadPerNumber', checked.request.toNumber);
      return acceptFax(deps, checked.request, idempotencyKey);
    });
    ctx.status = fax.replayed ? 200 : 201;
    if (fax.replayed) ctx.set('Idempotent-Replayed', 'true');
    else ctx.set('Location', `/api/faxes/${fax.id}`);
    ctx.body = {
      id: fax.id,
      status: fax.status,
      token: fax.token,
      links: { self: `/api/faxes/${fax.id}`, status: privateLinkPath(fax, fax.token), cancel: `/api/faxes/${fax.id}/cancel` },
    };
  };
}
