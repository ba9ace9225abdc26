import type { Locale } from '../domain/status';

/**
 * What the fax workflow and the web tier need from the payment provider. One implementation
 * (src/payments/stripe-payments.ts) on the official `stripe` library, pointed at real Stripe
 * or, in sandbox mode, at the offline Stripe twin.
 */
export interface CheckoutRequest {
  faxId: string;
  /** Minor units (cents). */
  amount: number;
  currency: string;
  locale: Locale;
  /** Line-item text shown on the checkout page, e.g. "Fax to +49 30 …, 3 pages". */
  description: string;
  successUrl: string;
  cancelUrl: string;
  expiresAt: Date;
  customerEmail?: string | null;
}

export interface CheckoutSessionInfo {
  id: string;
  url: string | null;
  status: 'open' | 'complete' | 'expired';
  paymentIntentId: string | null;
  amount: number;
  currency: string;
  faxId: string | null;
  expiresAt: Date;
}

export type PaymentIntentStatus = 'requires_payment_method' | 'requires_confirmation' | 'requires_action' | 'processing' | 'requires_capture' | 'succeeded' | 'canceled';

export interface PaymentIntentInfo {
  id: string;
  status: PaymentIntentStatus;
  amount: number;
  amountCapturable: number;
  amountReceived: number;
  currency: string;
  faxId: string | null;
  /** The hold's deadline (`capture_before` of the charge's card details), when known. */
  captureBefore: Date | null;
  latestChargeId: string | null;
  /** Refunded so far on the latest charge (a released hold also counts here), when known. */
  amountRefunded?: number;
  /** Why the intent was cancelled (`automatic` = the hold expired), when it was. */
  cancellationReason?: string | null;
}

export interface RefundInfo {
  id: string;
  status: 'pending' | 'requires_action' | 'succeeded' | 'failed' | 'canceled';
  amount: number;
}

/** Options for releasing a hold. */
export interface CancelOptions {
  /**
   * The hold is not the fax's own payment (it arrived after the fax ended, duplicates the
   * fax's payment, or does not match the quote): keyed `<faxId>:release:<paymentIntentId>` (and `:<reason>` when given)
   * so it never collides with the release of the fax's own hold.
   */
  stray?: boolean;
  reason?: 'abandoned' | 'duplicate' | 'fraudulent' | 'requested_by_customer';
}

/** Failure kinds the workflow acts on. */
export type PaymentErrorKind =
  | 'declined'
  | 'hold_expired'
  | 'already_captured'
  | 'already_cancelled'
  | 'already_refunded'
  | 'not_found'
  | 'invalid_request'
  | 'idempotency_conflict'
  | 'authentication'
  | 'transient';

export class PaymentError extends Error {
  constructor(
    readonly kind: PaymentErrorKind,
    message: string,
    readonly providerCode?: string,
  ) {
    super(message);
    this.name = 'PaymentError';
  }

  /** Worth trying again later with the same idempotency key. */
  get retryable(): boolean {
    return this.kind === 'transient';
  }
}

export interface Payments {
  /** Idempotency key `<faxId>:checkout`. */
  createCheckoutSession(req: CheckoutRequest): Promise<CheckoutSessionInfo>;
  retrieveCheckoutSession(sessionId: string): Promise<CheckoutSessionInfo>;
  /** Expires an open session so it can no longer be paid (fax cancelled or expired). */
  expireCheckoutSession(faxId: string, sessionId: string): Promise<CheckoutSessionInfo>;
  retrievePaymentIntent(paymentIntentId: string): Promise<PaymentIntentInfo>;
  /**
   * Idempotency key `<faxId>:capture`. An intent that is already captured counts as
   * success; a hold past its deadline fails with `hold_expired`.
   */
  capture(faxId: string, paymentIntentId: string): Promise<PaymentIntentInfo>;
  /**
   * Releases an uncaptured hold. Idempotency key `<faxId>:release`. A hold that is already
   * released counts as success; a captured one fails with `already_captured`.
   */
  cancel(faxId: string, paymentIntentId: string, opts?: CancelOptions): Promise<PaymentIntentInfo>;
  /**
   * Refunds a captured payment in full. Idempotency key `<faxId>:refund`. A payment that is
   * already refunded in full returns that refund.
   */
  refund(faxId: string, paymentIntentId: string): Promise<RefundInfo>;
}
