import type { RequestRef, TwinContext } from './context';
import { invalidParam, invalidRequest, noSuchResource, unexpectedState } from './errors';
import type { ChargeJson, PaymentIntentJson, PendingCard, SessionRecord, StripeErrorSnapshot } from './model';
import { newId } from './store';

const CANCELABLE = ['requires_payment_method', 'requires_capture', 'requires_confirmation', 'requires_action', 'processing'];
const CANCELLATION_REASONS = ['abandoned', 'duplicate', 'fraudulent', 'requested_by_customer'];

export function getIntent(ctx: TwinContext, id: string): PaymentIntentJson {
  const pi = ctx.state.intents.get(id);
  if (!pi) throw noSuchResource('payment_intent', id, 'intent');
  return pi;
}

/** The session's payment intent, created on the first payment attempt as Checkout does. */
export function intentForSession(ctx: TwinContext, rec: SessionRecord, req: RequestRef): PaymentIntentJson {
  if (rec.json.payment_intent) return getIntent(ctx, rec.json.payment_intent);
  const id = newId('pi');
  const pi: PaymentIntentJson = {
    id,
    object: 'payment_intent',
    amount: rec.json.amount_total,
    amount_capturable: 0,
    amount_received: 0,
    canceled_at: null,
    cancellation_reason: null,
    capture_method: rec.paymentIntentData.captureMethod,
    client_secret: `${id}_secret_${newId('x').slice(2)}`,
    confirmation_method: 'automatic',
    created: ctx.store.seconds(),
    currency: rec.json.currency,
    description: rec.paymentIntentData.description,
    last_payment_error: null,
    latest_charge: null,
    livemode: false,
    metadata: { ...rec.paymentIntentData.metadata },
    next_action: null,
    payment_method: null,
    payment_method_types: ['card'],
    status: 'requires_payment_method',
  };
  ctx.state.intents.set(id, pi);
  ctx.store.changed('intents', id);
  rec.json.payment_intent = id;
  ctx.store.intentMade(id, rec.json.id);
  ctx.store.changed('sessions', rec.json.id);
  ctx.emit('payment_intent.created', pi, req);
  return pi;
}

function newCharge(ctx: TwinContext, pi: PaymentIntentJson, card: PendingCard, failure: StripeErrorSnapshot | null): ChargeJson {
  const manual = pi.capture_method === 'manual';
  const charge: ChargeJson = {
    id: newId('ch'),
    object: 'charge',
    amount: pi.amount,
    amount_captured: failure || manual ? 0 : pi.amount,
    amount_refunded: 0,
    captured: !failure && !manual,
    created: ctx.store.seconds(),
    currency: pi.currency,
    description: pi.description,
    failure_code: failure?.code ?? null,
    failure_message: failure?.message ?? null,
    livemode: false,
    metadata: {},
    outcome: failure
      ? {
          network_status: 'declined_by_network',
          reason: failure.decline_code ?? null,
          risk_level: 'normal',
          seller_message: 'The bank did not return any further details with this decline.',
          type: 'issuer_declined',
        }
      : { network_status: 'approved_by_network', reason: null, risk_level: 'normal', seller_message: 'Payment complete.', type: 'authorized' },
    paid: !failure,
    payment_intent: pi.id,
    payment_method: card.paymentMethod,
    payment_method_details: {
      type: 'card',
      card: {
        brand: card.brand,
        last4: card.last4,
        exp_month: card.expMonth,
        exp_year: card.expYear,
        funding: 'credit',
        country: 'US',
        ...(manual && !failure ? { capture_before: ctx.store.seconds() + Math.ceil(ctx.opts.holdWindowMs / 1000) } : {}),
      },
    },
    refunded: false,
    status: failure ? 'failed' : 'succeeded',
  };
  if (failure) failure.charge = charge.id;
  ctx.state.charges.set(charge.id, charge);
  ctx.store.changed('charges', charge.id);
  if (card.refundFails && !failure) {
    ctx.state.refundFailingCharges.push(charge.id);
    ctx.store.changed('refundFailingCharges');
  }
  return charge;
}

/** A successful authorization: a hold for manual capture, a payment otherwise. */
export function authorize(ctx: TwinContext, pi: PaymentIntentJson, card: PendingCard, req: RequestRef): void {
  const charge = newCharge(ctx, pi, card, null);
  ctx.store.changed('intents', pi.id);
  pi.latest_charge = charge.id;
  pi.payment_method = card.paymentMethod;
  pi.last_payment_error = null;
  pi.next_action = null;
  if (pi.capture_method === 'manual') {
    pi.status = 'requires_capture';
    pi.amount_capturable = pi.amount;
  } else {
    pi.status = 'succeeded';
    pi.amount_received = pi.amount;
  }
  ctx.emit('charge.succeeded', charge, req);
  ctx.emit(pi.status === 'requires_capture' ? 'payment_intent.amount_capturable_updated' : 'payment_intent.succeeded', pi, req);
}

/** A declined attempt: a failed charge, and the intent waits for another card. */
export function decline(ctx: TwinContext, pi: PaymentIntentJson, card: PendingCard, error: StripeErrorSnapshot, req: RequestRef): void {
  const charge = newCharge(ctx, pi, card, error);
  ctx.store.changed('intents', pi.id);
  pi.latest_charge = charge.id;
  pi.payment_method = null;
  pi.status = 'requires_payment_method';
  pi.next_action = null;
  pi.last_payment_error = error;
  ctx.emit('charge.failed', charge, req);
  ctx.emit('payment_intent.payment_failed', pi, req);
}

export function requireAction(ctx: TwinContext, pi: PaymentIntentJson, card: PendingCard, req: RequestRef): void {
  ctx.store.changed('intents', pi.id);
  pi.status = 'requires_action';
  pi.payment_method = card.paymentMethod;
  pi.last_payment_error = null;
  pi.next_action = { type: 'use_stripe_sdk', use_stripe_sdk: { type: 'three_d_secure_redirect' } };
  ctx.emit('payment_intent.requires_action', pi, req);
}

export function failAuthentication(ctx: TwinContext, pi: PaymentIntentJson, req: RequestRef): void {
  ctx.store.changed('intents', pi.id);
  pi.status = 'requires_payment_method';
  pi.payment_method = null;
  pi.next_action = null;
  pi.last_payment_error = {
    type: 'invalid_request_error',
    code: 'payment_intent_authentication_failure',
    message: 'The provided PaymentMethod has failed authentication. You can provide payment_method_data or a new PaymentMethod to attempt to fulfill this PaymentIntent again.',
  };
  ctx.emit('payment_intent.payment_failed', pi, req);
}

function markCanceled(ctx: TwinContext, pi: PaymentIntentJson, reason: string | null): void {
  ctx.store.changed('intents', pi.id);
  pi.status = 'canceled';
  pi.cancellation_reason = reason;
  pi.canceled_at = ctx.store.seconds();
  pi.amount_capturable = 0;
  pi.next_action = null;
}

/** Releases the uncaptured amount of the intent's charge (Stripe shows it as refunded). */
function releaseCharge(ctx: TwinContext, pi: PaymentIntentJson): ChargeJson | null {
  const charge = pi.latest_charge ? ctx.state.charges.get(pi.latest_charge) : undefined;
  if (!charge || charge.status !== 'succeeded' || charge.captured) return null;
  ctx.store.changed('charges', charge.id);
  charge.amount_refunded = charge.amount;
  charge.refunded = true;
  return charge;
}

function holdDeadline(ctx: TwinContext, pi: PaymentIntentJson): number | null {
  const charge = pi.latest_charge ? ctx.state.charges.get(pi.latest_charge) : undefined;
  return charge?.payment_method_details.card.capture_before ?? null;
}

/** Cancels a hold whose `capture_before` has passed, as Stripe does. True when it did. */
export function expireHoldIfDue(ctx: TwinContext, pi: PaymentIntentJson, req: RequestRef): boolean {
  if (pi.status !== 'requires_capture') return false;
  const deadline = holdDeadline(ctx, pi);
  if (deadline === null || ctx.store.seconds() < deadline) return false;
  markCanceled(ctx, pi, 'automatic');
  const charge = releaseCharge(ctx, pi);
  if (charge) ctx.emit('charge.expired', charge, req);
  ctx.emit('payment_intent.canceled', pi, req);
  return true;
}

export function capture(ctx: TwinContext, id: string, amountToCapture: number | undefined, req: RequestRef): PaymentIntentJson {
  const pi = getIntent(ctx, id);
  if (expireHoldIfDue(ctx, pi, req)) {
    throw invalidRequest(
      'charge_expired_for_capture',
      `Charge ${pi.latest_charge ?? ''} cannot be captured because the charge has expired. You will need to create a new charge to retry the payment.`,
    );
  }
  if (pi.status !== 'requires_capture') {
    throw unexpectedState(
      `This PaymentIntent could not be captured because it has a status of ${pi.status}. Only a PaymentIntent with one of the following statuses may be captured: requires_capture.`,
      structuredClone(pi),
    );
  }
  const amount = amountToCapture ?? pi.amount_capturable;
  if (amount <= 0 || amount > pi.amount_capturable) {
    throw invalidParam('amount_to_capture', `The amount to capture must be between 1 and ${pi.amount_capturable}.`, 'amount_too_large');
  }
  const charge = ctx.state.charges.get(pi.latest_charge ?? '');
  if (!charge) throw new Error(`held PaymentIntent ${pi.id} has no charge`);
  ctx.store.changed('intents', pi.id);
  ctx.store.changed('charges', charge.id);
  pi.status = 'succeeded';
  pi.amount_received = amount;
  pi.amount_capturable = 0;
  charge.captured = true;
  charge.amount_captured = amount;
  // Stripe releases an uncaptured remainder, shown as refunded on the charge.
  charge.amount_refunded = charge.amount - amount;
  const sessionId = ctx.store.sessionOf(pi.id);
  const session = sessionId === undefined ? undefined : ctx.state.sessions.get(sessionId);
  if (session) {
    session.json.payment_status = 'paid';
    ctx.store.changed('sessions', session.json.id);
  }
  ctx.emit('charge.captured', charge, req);
  ctx.emit('payment_intent.succeeded', pi, req);
  return pi;
}

export function cancel(ctx: TwinContext, id: string, reason: string | undefined, req: RequestRef): PaymentIntentJson {
  if (reason !== undefined && !CANCELLATION_REASONS.includes(reason)) {
    throw invalidParam('cancellation_reason', `Invalid cancellation_reason: must be one of ${CANCELLATION_REASONS.join(', ')}`);
  }
  const pi = getIntent(ctx, id);
  expireHoldIfDue(ctx, pi, req);
  if (!CANCELABLE.includes(pi.status)) {
    throw unexpectedState(
      `You cannot cancel this PaymentIntent because it has a status of ${pi.status}. Only a PaymentIntent with one of the following statuses may be canceled: ${CANCELABLE.join(', ')}.`,
      structuredClone(pi),
    );
  }
  markCanceled(ctx, pi, reason ?? null);
  const charge = releaseCharge(ctx, pi);
  ctx.emit('payment_intent.canceled', pi, req);
  if (charge) ctx.emit('charge.refunded', charge, req);
  return pi;
}

/** Cancels what an abandoned checkout left behind. */
export function abandon(ctx: TwinContext, pi: PaymentIntentJson, req: RequestRef): void {
  if (pi.status === 'requires_payment_method' || pi.status === 'requires_action') {
    markCanceled(ctx, pi, 'abandoned');
    ctx.emit('payment_intent.canceled', pi, req);
  }
}
