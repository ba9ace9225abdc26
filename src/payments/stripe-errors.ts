import type Stripe from 'stripe';
import { stripeLibrary } from './stripe-module';
import { PaymentError } from './types';

/** Stripe error codes that name a state the workflow acts on. */
const CODE_KINDS: Record<string, PaymentError['kind']> = {
  resource_missing: 'not_found',
  charge_expired_for_capture: 'hold_expired',
  charge_already_refunded: 'already_refunded',
  charge_already_captured: 'already_captured',
  lock_timeout: 'transient',
  rate_limit: 'transient',
};

function isStripeError(err: unknown): err is Stripe.errors.StripeError {
  return err instanceof stripeLibrary().errors.StripeError;
}

/** The Stripe error code, when `err` is a Stripe error that has one. */
export function stripeCode(err: unknown): string | undefined {
  return isStripeError(err) ? err.code : undefined;
}

/**
 * Maps anything the Stripe library throws to the failure kinds the workflow acts on.
 * Uses Stripe's `type` strings, not class identity, so it holds across library copies.
 */
export function toPaymentError(err: unknown, action: string): PaymentError {
  if (err instanceof PaymentError) return err;
  if (!isStripeError(err)) {
    const message = err instanceof Error ? err.message : String(err);
    return new PaymentError('transient', `${action}: ${message}`);
  }
  const code = err.code;
  const message = `${action}: ${err.message}`;
  switch (err.type) {
    case 'StripeCardError':
      return new PaymentError('declined', message, err.decline_code || code);
    case 'StripeIdempotencyError':
      return new PaymentError('idempotency_conflict', message, code ?? 'idempotency_error');
    case 'StripeAuthenticationError':
    case 'StripePermissionError':
      return new PaymentError('authentication', message, code);
    case 'StripeRateLimitError':
    case 'StripeConnectionError':
    case 'StripeAPIError':
      return new PaymentError('transient', message, code);
    case 'StripeInvalidRequestError':
      return new PaymentError((code && CODE_KINDS[code]) || 'invalid_request', message, code);
    default:
      // 5xx and 409 (a concurrent request with the same key) are worth retrying; others are not.
      return new PaymentError(err.statusCode !== undefined && err.statusCode < 500 && err.statusCode !== 409 ? 'invalid_request' : 'transient', message, code);
  }
}
