import type { RequestRef, TwinContext } from './context';
import { invalidParam, invalidRequest, missingParam, noSuchResource, unexpectedState } from './errors';
import type { Params } from './form';
import { getIntent } from './intents';
import { listPage, type ListPage } from './lists';
import type { ChargeJson, PaymentIntentJson, RefundJson } from './model';
import { newId } from './store';

const REASONS = ['duplicate', 'fraudulent', 'requested_by_customer'];

function chargeOf(ctx: TwinContext, pi: PaymentIntentJson): ChargeJson | undefined {
  return pi.latest_charge ? ctx.state.charges.get(pi.latest_charge) : undefined;
}

export function createRefund(ctx: TwinContext, p: Params, req: RequestRef): RefundJson {
  p.only('payment_intent', 'charge', 'amount', 'reason', 'metadata', 'expand');
  const piId = p.string('payment_intent');
  const chargeId = p.string('charge');
  if (!piId && !chargeId) throw missingParam('payment_intent');
  let pi: PaymentIntentJson;
  if (piId) {
    const found = ctx.state.intents.get(piId);
    if (!found) throw noSuchResource('payment_intent', piId, 'payment_intent');
    pi = found;
  } else {
    const charge = ctx.state.charges.get(chargeId ?? '');
    if (!charge) throw noSuchResource('charge', chargeId ?? '', 'charge');
    pi = getIntent(ctx, charge.payment_intent);
  }
  const reason = p.string('reason') ?? null;
  if (reason !== null && !REASONS.includes(reason)) throw invalidParam('reason', `Invalid reason: must be one of ${REASONS.join(', ')}`);
  const charge = chargeOf(ctx, pi);
  if (pi.status !== 'succeeded' || !charge || !charge.captured) {
    throw unexpectedState(
      `This PaymentIntent has a status of ${pi.status}; only a PaymentIntent that succeeded can be refunded. To release an uncaptured payment, cancel the PaymentIntent instead.`,
      structuredClone(pi),
    );
  }
  // An uncaptured remainder already counts as refunded, so this is what was captured and not yet refunded.
  const refundable = Math.max(0, charge.amount - charge.amount_refunded);
  if (charge.refunded || refundable === 0) throw invalidRequest('charge_already_refunded', `Charge ${charge.id} has already been refunded.`);
  const amount = p.integer('amount') ?? refundable;
  if (amount <= 0) throw invalidParam('amount', 'Refund amount must be a positive integer.');
  if (amount > refundable) {
    throw invalidParam('amount', `Refund amount (${amount}) is greater than unrefunded amount on charge (${refundable})`, 'amount_too_large');
  }
  const refund: RefundJson = {
    id: newId('re'),
    object: 'refund',
    amount,
    charge: charge.id,
    created: ctx.store.seconds(),
    currency: charge.currency,
    metadata: p.metadata(),
    payment_intent: pi.id,
    reason,
    status: 'succeeded',
  };
  ctx.state.refunds.set(refund.id, refund);
  ctx.store.changed('refunds', refund.id);
  charge.amount_refunded += amount;
  charge.refunded = charge.amount_refunded >= charge.amount;
  ctx.store.changed('charges', charge.id);
  if (ctx.state.refundFailingCharges.includes(charge.id)) {
    ctx.state.failingRefunds.push(refund.id);
    ctx.store.changed('failingRefunds');
  }
  ctx.emit('refund.created', refund, req);
  ctx.emit('charge.refunded', charge, req);
  return refund;
}

export function getRefund(ctx: TwinContext, id: string): RefundJson {
  const refund = ctx.state.refunds.get(id);
  if (!refund) throw noSuchResource('refund', id, 'id');
  return refund;
}

export function listRefunds(ctx: TwinContext, p: Params): ListPage<RefundJson> {
  p.only('payment_intent', 'charge', 'limit', 'starting_after', 'expand');
  const piId = p.string('payment_intent');
  const chargeId = p.string('charge');
  const refunds = [...ctx.state.refunds.values()].filter((r) => (!piId || r.payment_intent === piId) && (!chargeId || r.charge === chargeId));
  return listPage(refunds, p, '/v1/refunds');
}

/** Refunds to the 5126 test card fail after they were reported as succeeded, as on Stripe. */
export function failDueRefunds(ctx: TwinContext, req: RequestRef): number {
  const due = ctx.state.failingRefunds.splice(0);
  if (due.length > 0) ctx.store.changed('failingRefunds');
  for (const id of due) {
    const refund = ctx.state.refunds.get(id);
    const charge = refund ? ctx.state.charges.get(refund.charge) : undefined;
    if (!refund || !charge || refund.status !== 'succeeded') continue;
    refund.status = 'failed';
    refund.failure_reason = 'expired_or_canceled_card';
    charge.amount_refunded -= refund.amount;
    charge.refunded = false;
    ctx.store.changed('refunds', refund.id);
    ctx.store.changed('charges', charge.id);
    ctx.emit('charge.refund.updated', refund, req, { status: 'succeeded' });
    ctx.emit('refund.updated', refund, req, { status: 'succeeded' });
    ctx.emit('refund.failed', refund, req);
  }
  return due.length;
}
