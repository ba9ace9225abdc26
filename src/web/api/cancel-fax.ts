import type Koa from 'koa';
import { cancelBySender } from '../cancel-fax';
import type { FaxWorkflows } from '../fax-workflows';
import { currentFax } from '../middleware/require-fax';

/** POST /api/faxes/:id/cancel: 200 when already cancelled, 202 with the workflow's decision. */
export function cancelFaxHandler(workflows: FaxWorkflows): Koa.Middleware {
  return async (ctx) => {
    const fax = currentFax(ctx);
    const result = await cancelBySender(workflows, fax);
    if (result.kind === 'already_cancelled') {
      ctx.body = { id: fax.id, status: 'cancelled' };
      return;
    }
    ctx.status = 202;
    ctx.body = { id: fax.id, status: result.decision === 'accepted' ? 'cancelling' : fax.status, cancel: result.decision };
  };
}
