import { testCard, type CardInput } from './cards';
import { completeSession, expireSessionIfDue, getSession } from './checkout';
import { NO_REQUEST, type TwinContext } from './context';
import { authorize, decline, failAuthentication, getIntent, intentForSession, requireAction } from './intents';
import type { PendingCard, SessionRecord, StripeErrorSnapshot } from './model';
import { newId } from './store';

/** What the hosted page shows after a payment attempt. */
export type PayOutcome =
  { kind: 'paid'; redirect: string } | { kind: 'declined'; error: StripeErrorSnapshot } | { kind: 'requires_action' } | { kind: 'closed'; status: 'complete' | 'expired' };

const DECLINES: Record<'decline' | 'insufficient_funds' | 'live_card', StripeErrorSnapshot> = {
  decline: { type: 'card_error', code: 'card_declined', decline_code: 'generic_decline', message: 'Your card was declined.' },
  insufficient_funds: { type: 'card_error', code: 'card_declined', decline_code: 'insufficient_funds', message: 'Your card has insufficient funds.' },
  live_card: {
    type: 'card_error',
    code: 'card_declined',
    decline_code: 'test_mode_live_card',
    message: 'Your card was declined. Your request was in test mode, but used a non test card. For a list of valid test cards, visit: https://stripe.com/docs/testing.',
  },
};

export function successRedirect(rec: SessionRecord): string {
  return rec.json.success_url.replace(/\{CHECKOUT_SESSION_ID\}/g, rec.json.id);
}

/** The session, after applying its expiry; null when it cannot be paid any more. */
function openSession(ctx: TwinContext, sessionId: string): { rec: SessionRecord; closed: PayOutcome | null } {
  const rec = getSession(ctx, sessionId);
  expireSessionIfDue(ctx, rec, NO_REQUEST);
  if (rec.json.status === 'open') return { rec, closed: null };
  return { rec, closed: { kind: 'closed', status: rec.json.status } };
}

function finish(ctx: TwinContext, rec: SessionRecord): PayOutcome {
  completeSession(ctx, rec, NO_REQUEST);
  return { kind: 'paid', redirect: successRedirect(rec) };
}

/** One submission of the card form. */
export function payWithCard(ctx: TwinContext, sessionId: string, input: CardInput): PayOutcome {
  const { rec, closed } = openSession(ctx, sessionId);
  if (closed) return closed;
  const pi = intentForSession(ctx, rec, NO_REQUEST);
  const known = testCard(input.number);
  const card: PendingCard = {
    paymentMethod: newId('pm'),
    brand: known?.brand ?? 'visa',
    last4: input.number.slice(-4),
    expMonth: input.expMonth,
    expYear: input.expYear,
    refundFails: known?.behaviour === 'refund_fails',
  };
  const behaviour = known?.behaviour ?? 'live_card';
  switch (behaviour) {
    case 'decline':
    case 'insufficient_funds':
    case 'live_card': {
      const error = { ...DECLINES[behaviour] };
      decline(ctx, pi, card, error, NO_REQUEST);
      return { kind: 'declined', error };
    }
    case 'authenticate':
      rec.pendingCard = card;
      ctx.store.changed('sessions', rec.json.id);
      requireAction(ctx, pi, card, NO_REQUEST);
      return { kind: 'requires_action' };
    case 'authorize':
    case 'refund_fails':
      authorize(ctx, pi, card, NO_REQUEST);
      return finish(ctx, rec);
  }
}

/** The answer on the authentication page ("Complete" or "Fail"). */
export function finishAuthentication(ctx: TwinContext, sessionId: string, succeeded: boolean): PayOutcome {
  const { rec, closed } = openSession(ctx, sessionId);
  if (closed) return closed;
  const pi = rec.json.payment_intent ? getIntent(ctx, rec.json.payment_intent) : null;
  if (!pi || pi.status !== 'requires_action' || !rec.pendingCard) {
    const error: StripeErrorSnapshot = { type: 'invalid_request_error', code: 'payment_intent_unexpected_state', message: 'There is no authentication waiting for this payment.' };
    return { kind: 'declined', error };
  }
  if (!succeeded) {
    rec.pendingCard = null;
    ctx.store.changed('sessions', rec.json.id);
    failAuthentication(ctx, pi, NO_REQUEST);
    return { kind: 'declined', error: pi.last_payment_error as StripeErrorSnapshot };
  }
  authorize(ctx, pi, rec.pendingCard, NO_REQUEST);
  return finish(ctx, rec);
}
