import type { DataSource } from 'typeorm';
import type { PaymentIntentInfo } from '../../payments/types';

/**
 * The fax row's payment columns follow what Stripe reports about the fax's own payment
 * intent. Only moves the workflow cannot make itself are written here (a refund finishing
 * or failing later, a hold lapsing), and only from the states they can follow.
 */

/** A hold that Stripe cancelled (it lapsed, or someone released it in the dashboard). */
export async function markHoldReleased(db: DataSource, faxId: string, paymentIntentId: string): Promise<boolean> {
  const rows: unknown[] = await db.query(
    `UPDATE fax SET payment_state = 'released', updated_at = now()
      WHERE id = $1 AND payment_intent_id = $2 AND payment_state = 'authorized' RETURNING id`,
    [faxId, paymentIntentId],
  );
  return rows.length > 0;
}

/**
 * The refunded amount of a captured payment, from the intent's charge. An uncaptured
 * remainder also counts as refunded on Stripe's charge, so it is taken off.
 */
function refundedOfCaptured(pi: PaymentIntentInfo): number {
  const released = pi.amount - pi.amountReceived;
  return Math.max(0, (pi.amountRefunded ?? 0) - released);
}

/** Applies the refund state of a captured payment: `refunded` when all of it went back. */
export async function applyRefundState(db: DataSource, faxId: string, pi: PaymentIntentInfo, failure?: string): Promise<boolean> {
  if (pi.status !== 'succeeded') return false;
  const refunded = refundedOfCaptured(pi);
  const state = refunded > 0 && refunded >= pi.amountReceived ? 'refunded' : 'captured';
  const rows: unknown[] = await db.query(
    `UPDATE fax SET amount_refunded = $3,
            payment_state = CASE WHEN payment_state IN ('captured', 'refunded') THEN $4 ELSE payment_state END,
            failure_detail = CASE WHEN $5::text IS NULL THEN failure_detail ELSE concat_ws('; ', failure_detail, $5::text) END,
            updated_at = now()
      WHERE id = $1 AND payment_intent_id = $2 RETURNING id`,
    [faxId, pi.id, refunded, state, failure ?? null],
  );
  return rows.length > 0;
}
