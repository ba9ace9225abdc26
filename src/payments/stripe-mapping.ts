import type Stripe from 'stripe';
import type { CheckoutSessionInfo, PaymentIntentInfo, PaymentIntentStatus, RefundInfo } from './types';

/** The metadata key that ties Stripe objects to a fax. */
export const FAX_ID_KEY = 'fax_id';

const idOf = (value: string | { id: string } | null | undefined): string | null => (value == null ? null : typeof value === 'string' ? value : value.id);

export function toSessionInfo(s: Stripe.Checkout.Session): CheckoutSessionInfo {
  return {
    id: s.id,
    url: s.url ?? null,
    status: (s.status ?? 'open') as CheckoutSessionInfo['status'],
    paymentIntentId: idOf(s.payment_intent),
    amount: s.amount_total ?? 0,
    currency: (s.currency ?? '').toLowerCase(),
    faxId: s.metadata?.[FAX_ID_KEY] ?? s.client_reference_id ?? null,
    expiresAt: new Date(s.expires_at * 1000),
  };
}

/** The intent with its latest charge expanded (or just its id when it was not). */
export function toIntentInfo(pi: Stripe.PaymentIntent): PaymentIntentInfo {
  const charge = pi.latest_charge && typeof pi.latest_charge === 'object' ? pi.latest_charge : null;
  const captureBefore = charge?.payment_method_details?.card?.capture_before;
  return {
    id: pi.id,
    status: pi.status as PaymentIntentStatus,
    amount: pi.amount,
    amountCapturable: pi.amount_capturable,
    amountReceived: pi.amount_received,
    currency: pi.currency.toLowerCase(),
    faxId: pi.metadata?.[FAX_ID_KEY] ?? null,
    captureBefore: captureBefore ? new Date(captureBefore * 1000) : null,
    latestChargeId: idOf(pi.latest_charge),
    amountRefunded: charge ? charge.amount_refunded : undefined,
    cancellationReason: pi.cancellation_reason ?? null,
  };
}

export function toRefundInfo(r: Stripe.Refund): RefundInfo {
  return { id: r.id, status: (r.status ?? 'pending') as RefundInfo['status'], amount: r.amount };
}
