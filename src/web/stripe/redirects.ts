import type Koa from 'koa';
import type { Faxes } from '../../db/faxes';
import { isUuid } from '../../domain/ids';
import type { Logger } from '../../log';
import { PaymentError } from '../../payments/types';
import { HttpProblem, unavailable } from '../errors';
import { localeOf, preferFaxLocale } from '../middleware/locale';
import { statusPagePath } from '../page-paths';
import { checkPayment, type PaymentCheckDeps } from './payment-check';

const SESSION_ID = /^cs_[A-Za-z0-9_]{1,250}$/;

export interface RedirectDeps extends PaymentCheckDeps {
  faxes: Faxes;
  /** Where the app is reached; redirects go to its status pages. */
  publicBaseUrl: string;
  log: Logger;
}

/**
 * The one answer for a return link that leads nowhere — an unknown fax, a missing or
 * malformed session, a session Stripe does not know or that belongs to another fax — so the
 * link tells nobody whether a fax exists.
 */
function invalidLink(): HttpProblem {
  return new HttpProblem(404, 'not_found', {}, { messageKey: 'payments.redirect.invalid' });
}

/**
 * Stripe Checkout's success redirect: a backstop for a late or lost webhook that trusts
 * nothing from the browser — it asks Stripe for the session and its payment — then sends
 * the sender to the fax's status page. Anyone can call it and each call asks Stripe, so it
 * is rate-limited per address in front (`checkoutReturn`).
 */
export function checkoutSuccess(deps: RedirectDeps): Koa.Middleware {
  const base = deps.publicBaseUrl.replace(/\/+$/, '');
  return async (ctx) => {
    const { faxId } = ctx.params as { faxId: string };
    const sessionId = typeof ctx.query.session_id === 'string' ? ctx.query.session_id : '';
    const fax = isUuid(faxId) && SESSION_ID.test(sessionId) ? await deps.faxes.find(faxId) : null;
    if (!fax) throw invalidLink();
    let result;
    try {
      result = await checkPayment(deps, fax.id, sessionId, 'redirect');
    } catch (err) {
      if (err instanceof PaymentError && err.kind === 'not_found') throw invalidLink();
      // The webhook will still arrive; the sender is told to look again shortly.
      deps.log.warn('could not confirm a checkout on redirect', { faxId: fax.id, err });
      preferFaxLocale(ctx, fax.locale);
      throw unavailable('payments.confirm_later');
    }
    if (result.kind === 'unknown_fax' || result.kind === 'foreign') throw invalidLink();
    // Only now the fax's own language: an invalid link is answered in the visitor's, whatever fax it names.
    preferFaxLocale(ctx, fax.locale);
    if (result.kind === 'released' && result.why === 'amount_mismatch') throw new HttpProblem(409, 'payment_amount_mismatch');
    ctx.status = 303;
    ctx.redirect(base + statusPagePath(fax));
  };
}

/**
 * Stripe Checkout's cancel redirect: back to the fax's page, where the sender may pay after
 * all. It looks nothing up: the status page itself asks for the fax's token.
 */
export function checkoutCancelled(deps: Pick<RedirectDeps, 'publicBaseUrl'>): Koa.Middleware {
  const base = deps.publicBaseUrl.replace(/\/+$/, '');
  return async (ctx) => {
    const { faxId } = ctx.params as { faxId: string };
    if (!isUuid(faxId)) throw new HttpProblem(404, 'not_found');
    ctx.status = 303;
    ctx.redirect(base + statusPagePath({ id: faxId, locale: localeOf(ctx) }));
  };
}
