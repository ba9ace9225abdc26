import type Stripe from 'stripe';
import { stripeLibrary } from '../../payments/stripe-module';

export type StripeSignatureCheck = { ok: true; event: Stripe.Event } | { ok: false; problem: 'no_signature' | 'stale' | 'bad_signature' | 'bad_body' };

/** Stripe's recommended tolerance for the signed timestamp, in seconds. */
const DEFAULT_TOLERANCE_SECS = 300;

/**
 * A checker for Stripe webhook signatures (`Stripe-Signature`, HMAC-SHA256 over
 * `${timestamp}.${rawBody}` with the endpoint's `whsec_…` secret) built on the `stripe`
 * library's own verifier. A verified body must also have the shape of an event.
 */
export function createStripeSignatureChecker(webhookSecret: string, toleranceSecs = DEFAULT_TOLERANCE_SECS, webhooks?: Stripe['webhooks']) {
  return (rawBody: Buffer, header: string | undefined): StripeSignatureCheck => {
    if (!header) return { ok: false, problem: 'no_signature' };
    // The library loads with the first signed webhook, not with the process.
    const stripe = stripeLibrary();
    let event: Stripe.Event;
    try {
      event = (webhooks ?? stripe.webhooks).constructEvent(rawBody, header, webhookSecret, toleranceSecs);
    } catch (err) {
      if (err instanceof stripe.errors.StripeSignatureVerificationError) {
        return { ok: false, problem: /tolerance/i.test(err.message) ? 'stale' : 'bad_signature' };
      }
      return { ok: false, problem: 'bad_body' };
    }
    const shaped = event as Partial<Stripe.Event> | null;
    if (typeof shaped?.id !== 'string' || typeof shaped.type !== 'string' || typeof shaped.data?.object !== 'object' || shaped.data.object === null) {
      return { ok: false, problem: 'bad_body' };
    }
    return { ok: true, event };
  };
}
