import type Koa from 'koa';
import type { Faxes } from '../../db/faxes';
import { isUuid } from '../../domain/ids';
import type { Logger } from '../../log';
import { PaymentError } from '../../payments/types';
import { HttpProblem, unavailable } from '../errors';
import { preferFaxLocale } from '../middleware/locale';
import { statusPagePath } from '../page-paths';
import { checkPayment, type PaymentCheckDeps } from './payment-check';

const SESSION_ID = /^cs_[A-Za-z0-9_]{1,250}$/;

export interface RedirectDeps extends PaymentCheckDeps {
  faxes: Faxes;
  /** Where the app is reached; redirects go to its status pages. */
  publicBaseUrl: string;
  log: Logger;
}

/** The fax of a redirect URL, or the same 404 as for any fax that is not there. */
async function faxOf(ctx: Koa.Context, faxes: Faxes) {
  const { faxId } = ctx.params as { faxId: string };
  const fax = isUuid(faxId) ? await faxes.find(faxId) : null;
  if (!fax) throw new HttpProblem(404, 'not_found');
  preferFaxLocale(ctx, fax.locale);
  return fax;
}

/**
 * Stripe Checkout's success redirect: a backstop for a late or lost webhook that trusts
 * nothing from the browser — it asks Stripe for the session and its payment — then sends
 * the sender to the fax's status page.
 */
export function checkoutSuccess(deps: RedirectDeps): Koa.Middleware {
  const base = deps.publicBaseUrl.replace(/\/+$/, '');
  return async (ctx) => {
    const fax = await faxOf(ctx, deps.faxes);
    const sessionId = typeof ctx.query.session_id === 'string' ? ctx.query.session_id : '';
    if (!SESSION_ID.test(sessionId)) {
      throw new HttpProblem(400, 'invalid_request', {}, { messageKey: 'payments.redirect.bad_session' });
    }
    let result;
    try {
      result = await checkPayment(deps, fax.id, sessionId, 'redirect');
    } catch (err) {
      if (err instanceof PaymentError && err.kind === 'not_found') throw new HttpProblem(404, 'not_found');
      // The webhook will still arrive; the sender is told to look again shortly.
      deps.log.warn('could not confirm a checkout on redirect', { faxId: fax.id, err });
      throw unavailable('payments.confirm_later');
    }
    if (result.kind === 'unknown_fax' || result.kind === 'foreign') throw new HttpProblem(404, 'not_found');
    if (result.kind === 'released' && result.why === 'amount_mismatch') throw new HttpProblem(409, 'payment_amount_mismatch');
    ctx.status = 303;
    ctx.redirect(base + statusPagePath(fax));
  };
}

/** Stripe Checkout's cancel redirect: back to the fax's page, where the sender may pay after all. */
export function checkoutCancelled(deps: Pick<RedirectDeps, 'faxes' | 'publicBaseUrl'>): Koa.Middleware {
  const base = deps.publicBaseUrl.replace(/\/+$/, '');
  return async (ctx) => {
    const fax = await faxOf(ctx, deps.faxes);
    ctx.status = 303;
    ctx.redirect(base + statusPagePath(fax));
  };
}
