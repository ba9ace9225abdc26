import type Koa from 'koa';
import { HttpProblem } from '../errors';
import type { FaxWorkflows } from '../fax-workflows';
import { currentFax } from '../middleware/require-fax';

/**
 * POST /api/faxes/:id/checkout: where to pay the fax (Stripe Checkout, a card hold) and until
 * when. The checkout opens now, when the sender asks for it, and asked again it is the same;
 * a fax that cannot be paid now (not quoted yet, paid, expired, cancelled) is a 409.
 */
export function openCheckoutHandler(workflows: FaxWorkflows): Koa.Middleware {
  return async (ctx) => {
    const fax = currentFax(ctx);
    const offer = fax.status === 'awaiting_payment' && fax.paymentState === 'none' ? await workflows.checkout(fax.id) : null;
    if (!offer) throw new HttpProblem(409, 'not_payable');
    ctx.body = { id: fax.id, checkoutUrl: offer.url, payBy: offer.payBy };
  };
}
