import type { Fax } from '../../db/entities/fax';
import type { Faxes } from '../../db/faxes';
import { FINAL_FAX_STATUSES } from '../../domain/status';
import type { Logger } from '../../log';
import { PaymentError, type CancelOptions, type PaymentIntentInfo, type Payments } from '../../payments/types';
import type { PaymentAuthorized } from '../../workflows/contract';
import type { FaxSignals } from '../fax-signals';

export interface PaymentCheckDeps {
  faxes: Faxes;
  payments: Payments;
  signals: FaxSignals;
  log: Logger;
}

/** What became of a completed checkout. */
export type PaymentCheck =
  /** A valid hold for the quote; the workflow was told. */
  | { kind: 'authorized'; paymentIntentId: string }
  /** The hold was released: it did not match the quote, or came after the fax ended. */
  | { kind: 'released'; why: 'amount_mismatch' | 'fax_final' | 'workflow_closed'; paymentIntentId: string }
  /** Captured or cancelled already: the workflow has moved on. */
  | { kind: 'settled'; paymentIntentId: string }
  /** Not paid (yet): the session is open or expired, or the card still needs a step. */
  | { kind: 'pending' }
  | { kind: 'unknown_fax' }
  /** The session or its payment belongs to another fax. */
  | { kind: 'foreign' };

function matchesQuote(fax: Fax, pi: PaymentIntentInfo): boolean {
  return fax.priceAmount !== null && !!fax.currency && pi.amount === fax.priceAmount && pi.currency === fax.currency.trim().toLowerCase();
}

/**
 * Verifies a completed checkout against the fax row — never trusting the browser or the
 * event payload, only Stripe's own state — then tells the workflow. A hold that does not
 * match the quote, or that arrives for a fax that has ended, is released at once.
 */
export async function checkPayment(deps: PaymentCheckDeps, faxId: string, sessionId: string, source: PaymentAuthorized['source']): Promise<PaymentCheck> {
  const { faxes, payments, signals } = deps;
  const log = deps.log.child({ faxId, source });
  const fax = await faxes.find(faxId);
  if (!fax) return { kind: 'unknown_fax' };
  const session = await payments.retrieveCheckoutSession(sessionId);
  if (session.faxId !== faxId) return { kind: 'foreign' };
  if (session.status !== 'complete' || !session.paymentIntentId) return { kind: 'pending' };
  const pi = await payments.retrievePaymentIntent(session.paymentIntentId);
  if (pi.faxId !== null && pi.faxId !== faxId) return { kind: 'foreign' };
  if (pi.status === 'succeeded' || pi.status === 'canceled') return { kind: 'settled', paymentIntentId: pi.id };
  if (pi.status !== 'requires_capture') return { kind: 'pending' };

  const release = async (why: Extract<PaymentCheck, { kind: 'released' }>['why'], reason: CancelOptions['reason']): Promise<PaymentCheck> => {
    try {
      await payments.cancel(faxId, pi.id, { stray: true, reason });
    } catch (err) {
      // Captured in the meantime by the workflow: that hold was legitimate after all.
      if (err instanceof PaymentError && err.kind === 'already_captured') return { kind: 'settled', paymentIntentId: pi.id };
      throw err;
    }
    log.warn('payment hold released', { paymentIntentId: pi.id, why, faxStatus: fax.status });
    return { kind: 'released', why, paymentIntentId: pi.id };
  };

  if (!matchesQuote(fax, pi)) return release('amount_mismatch', 'abandoned');
  // A final fax never takes money again; its own hold (if any) is the workflow's to settle.
  if (FINAL_FAX_STATUSES.includes(fax.status) && fax.paymentIntentId !== pi.id) return release('fax_final', 'abandoned');
  const outcome = await signals.paymentAuthorized(faxId, { paymentIntentId: pi.id, checkoutSessionId: session.id, source });
  if (outcome === 'closed') return release('workflow_closed', 'abandoned');
  log.info('payment authorized; workflow signalled', { paymentIntentId: pi.id });
  return { kind: 'authorized', paymentIntentId: pi.id };
}
