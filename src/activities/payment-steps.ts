import { ApplicationFailure } from '@temporalio/common';
import type { Config } from '../config/config';
import type { EmailOutbox } from '../db/email-outbox';
import { formatForDisplay } from '../domain/phone';
import { t } from '../i18n';
import { PaymentError, type Payments } from '../payments/types';
import type { CheckoutOpened, PaymentConfirmed, PaymentResult } from '../workflows/contract';
import type { Faxes } from '../db/faxes';

export interface PaymentStepDeps {
  records: Faxes;
  payments: Payments;
  publicBaseUrl: string;
  policy: Config['policy'];
  /** Absent when email is not configured. */
  outbox?: EmailOutbox;
}

/**
 * A transient provider error (and a rejected key, which an operator can fix) is retried by
 * the activity's policy; anything else ends the step with a reason code.
 */
function rethrow(err: unknown, step: string): never {
  if (err instanceof PaymentError && !err.retryable && err.kind !== 'authentication') {
    const type = err.kind === 'declined' ? 'payment_declined' : err.kind === 'hold_expired' ? 'hold_expired' : 'payment_error';
    throw ApplicationFailure.create({ type, message: `${step}: ${err.message}`, nonRetryable: true });
  }
  throw err;
}

export function createPaymentSteps({ records, payments, publicBaseUrl, outbox }: PaymentStepDeps) {
  return {
    /**
     * Opens the fax's Stripe Checkout session, or finds the one it opened before (asked
     * again, or retried after a crash: Stripe's idempotency key covers a crash before the row
     * was written).
     */
    async openCheckout(faxId: string, expiresAt: number): Promise<CheckoutOpened> {
      const fax = await records.get(faxId);
      if (fax.priceAmount === null || !fax.currency || !fax.pages) throw new Error(`fax ${faxId} has no quote yet`);
      if (fax.checkoutSessionId && fax.checkoutUrl && fax.paymentExpiresAt) {
        return { checkoutSessionId: fax.checkoutSessionId, url: fax.checkoutUrl, expiresAt: fax.paymentExpiresAt.getTime() };
      }
      let session;
      try {
        session = await payments.createCheckoutSession({
          faxId,
          amount: fax.priceAmount,
          currency: fax.currency,
          locale: fax.locale,
          description: t(fax.locale, 'checkout.description', { pages: fax.pages, number: formatForDisplay(fax.toNumber) }),
          // Under the sender's language prefix, so the pages and any problem on the way back speak it.
          successUrl: `${publicBaseUrl}/${fax.locale}/checkout/${faxId}/success?session_id={CHECKOUT_SESSION_ID}`,
          cancelUrl: `${publicBaseUrl}/${fax.locale}/checkout/${faxId}/cancel`,
          expiresAt: new Date(expiresAt),
          customerEmail: fax.email,
        });
      } catch (err) {
        rethrow(err, 'open checkout');
      }
      await records.update(faxId, {
        status: 'awaiting_payment',
        checkoutSessionId: session.id,
        checkoutUrl: session.url,
        // The fax's own deadline when it has one: Stripe may keep a session open longer.
        paymentExpiresAt: fax.paymentExpiresAt ?? session.expiresAt,
      });
      return { checkoutSessionId: session.id, url: session.url, expiresAt: session.expiresAt.getTime() };
    },

    async closeCheckout(faxId: string): Promise<{ paymentIntentId: string | null }> {
      const fax = await records.get(faxId);
      if (!fax.checkoutSessionId) return { paymentIntentId: null };
      let session = await payments.retrieveCheckoutSession(fax.checkoutSessionId);
      if (session.status === 'open') {
        try {
          session = await payments.expireCheckoutSession(faxId, fax.checkoutSessionId);
        } catch (err) {
          // Paid in the very moment we closed it: the fresh state says which.
          if (!(err instanceof PaymentError) || err.retryable) throw err;
          session = await payments.retrieveCheckoutSession(fax.checkoutSessionId);
        }
      }
      await records.update(faxId, { checkoutUrl: null });
      return { paymentIntentId: session.status === 'complete' ? session.paymentIntentId : null };
    },

    /** Checks the hold for ourselves (never trusting a browser or a webhook alone) and records it. */
    async confirmPayment(faxId: string, paymentIntentId: string): Promise<PaymentConfirmed> {
      const fax = await records.get(faxId);
      const pi = await payments.retrievePaymentIntent(paymentIntentId).catch((err: unknown) => rethrow(err, 'confirm payment'));
      if (pi.faxId !== faxId || pi.amount !== fax.priceAmount || pi.currency.toLowerCase() !== fax.currency?.toLowerCase()) {
        throw ApplicationFailure.create({
          type: 'payment_amount_mismatch',
          message: `payment ${paymentIntentId} does not match the quote of fax ${faxId}`,
          nonRetryable: true,
        });
      }
      if (pi.status === 'canceled') {
        throw ApplicationFailure.create({ type: 'hold_expired', message: `payment ${paymentIntentId} was cancelled`, nonRetryable: true });
      }
      if (pi.status !== 'requires_capture') {
        throw ApplicationFailure.create({
          type: 'payment_declined',
          message: `payment ${paymentIntentId} is ${pi.status}, not authorized`,
          nonRetryable: true,
        });
      }
      await records.update(
        faxId,
        {
          paymentState: 'authorized',
          paymentIntentId,
          holdExpiresAt: pi.captureBefore,
          paidAt: fax.paidAt ?? new Date(),
          status: 'queued',
          checkoutUrl: null,
        },
        outbox?.queue(fax, 'payment_confirmed'),
      );
      return { captureBefore: pi.captureBefore ? pi.captureBefore.getTime() : null };
    },

    async capturePayment(faxId: string, paymentIntentId: string): Promise<PaymentResult> {
      try {
        const pi = await payments.capture(faxId, paymentIntentId);
        await records.update(faxId, { paymentState: 'captured', amountCaptured: pi.amountReceived, settledAt: new Date() });
        return { paymentState: 'captured', done: true };
      } catch (err) {
        if (err instanceof PaymentError && (err.kind === 'hold_expired' || err.kind === 'already_cancelled')) {
          // The hold lapsed: the money is gone back to the card; the fax was not paid for.
          await records.update(faxId, { paymentState: 'released', failureDetail: `capture failed: ${err.kind}`, settledAt: new Date() });
          return { paymentState: 'released', done: false };
        }
        rethrow(err, 'capture');
      }
    },

    async releasePayment(faxId: string, paymentIntentId: string): Promise<PaymentResult> {
      const fax = await records.get(faxId);
      const isMain = fax.paymentIntentId === paymentIntentId;
      try {
        // A stray hold has a key of its own, so it never collides with the fax's own release.
        await payments.cancel(faxId, paymentIntentId, isMain ? {} : { stray: true });
      } catch (err) {
        if (err instanceof PaymentError && err.kind === 'already_captured') {
          // Captured in the meantime (the hold guard): give the money back instead.
          await payments.refund(faxId, paymentIntentId).catch((e: unknown) => rethrow(e, 'refund'));
          if (isMain) await records.update(faxId, { paymentState: 'refunded', amountRefunded: fax.amountCaptured || fax.priceAmount || 0, settledAt: new Date() });
          return { paymentState: 'refunded', done: true };
        }
        if (!(err instanceof PaymentError && (err.kind === 'already_cancelled' || err.kind === 'hold_expired'))) rethrow(err, 'release');
      }
      if (isMain) await records.update(faxId, { paymentState: 'released', settledAt: new Date() });
      return { paymentState: 'released', done: true };
    },

    async refundPayment(faxId: string, paymentIntentId: string): Promise<PaymentResult> {
      const fax = await records.get(faxId);
      try {
        const refund = await payments.refund(faxId, paymentIntentId);
        await records.update(faxId, { paymentState: 'refunded', amountRefunded: refund.amount, settledAt: new Date() });
      } catch (err) {
        if (!(err instanceof PaymentError && err.kind === 'already_refunded')) rethrow(err, 'refund');
        await records.update(faxId, { paymentState: 'refunded', amountRefunded: fax.amountCaptured, settledAt: fax.settledAt ?? new Date() });
      }
      return { paymentState: 'refunded', done: true };
    },
  };
}
