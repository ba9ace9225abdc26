import type Koa from 'koa';
import type Stripe from 'stripe';
import type { WebhookEvents } from '../../db/webhook-events';
import { PaymentError } from '../../payments/types';
import { FAX_ID_KEY } from '../../payments/stripe-mapping';
import { isUuid } from '../../domain/ids';
import { HttpProblem, unavailable } from '../errors';
import { readRawBody } from '../raw-body';
import { checkPayment, type PaymentCheckDeps } from './payment-check';
import type { createStripeSignatureChecker } from './signature';

/** The events Durafax acts on; enable these on the Stripe webhook endpoint. */
export const HANDLED_EVENTS = [
  'checkout.session.completed',
  'checkout.session.expired',
  'payment_intent.canceled',
  'charge.refunded',
  'charge.refund.updated',
  'refund.created',
  'refund.updated',
  'refund.failed',
] as const;

export interface StripeEventDeps extends PaymentCheckDeps {
  events: WebhookEvents;
}

/** How the endpoint answered one event. */
export type WebhookResult = { status: 200; outcome: string } | { status: 503; outcome: 'retry' };

function faxIdOf(metadata: Stripe.Metadata | null | undefined, reference?: string | null): string | null {
  const id = metadata?.[FAX_ID_KEY] ?? reference ?? null;
  return isUuid(id) ? id : null;
}

function idOf(value: string | { id: string } | null | undefined): string | null {
  return value == null ? null : typeof value === 'string' ? value : value.id;
}

/** Worth Stripe's redelivery: the provider, the database or the workflow service was unreachable. */
function isTransient(err: unknown): boolean {
  return err instanceof PaymentError ? err.retryable || err.kind === 'authentication' : true;
}

async function handle(deps: PaymentCheckDeps, event: Stripe.Event): Promise<string> {
  const log = deps.log.child({ eventId: event.id, eventType: event.type });
  switch (event.type) {
    case 'checkout.session.completed': {
      const session = event.data.object;
      const faxId = faxIdOf(session.metadata, session.client_reference_id);
      if (!faxId) return 'ignored';
      const result = await checkPayment(deps, faxId, session.id, 'webhook');
      if (result.kind === 'unknown_fax' || result.kind === 'foreign') log.warn('checkout for a fax this system does not know', { faxId, result: result.kind });
      return result.kind;
    }
    case 'checkout.session.expired': {
      // The workflow keeps its own payment deadline; the event only confirms it.
      log.info('checkout session expired', { faxId: faxIdOf(event.data.object.metadata, event.data.object.client_reference_id) });
      return 'noted';
    }
    case 'payment_intent.canceled': {
      const pi = event.data.object;
      const faxId = faxIdOf(pi.metadata);
      if (!faxId) return 'ignored';
      const changed = await deps.faxes.markHoldReleased(faxId, pi.id);
      if (pi.cancellation_reason === 'automatic') log.warn('payment hold lapsed before capture', { faxId, paymentIntentId: pi.id });
      return changed ? 'released' : 'noted';
    }
    case 'charge.refunded':
    case 'charge.refund.updated':
    case 'refund.created':
    case 'refund.updated':
    case 'refund.failed': {
      const object = event.data.object;
      const paymentIntentId = idOf(object.payment_intent);
      if (!paymentIntentId) return 'ignored';
      const pi = await deps.payments.retrievePaymentIntent(paymentIntentId);
      if (!isUuid(pi.faxId)) return 'ignored';
      let failure: string | undefined;
      if (event.type === 'refund.failed') {
        failure = `refund ${event.data.object.id} failed: ${event.data.object.failure_reason ?? 'unknown reason'}`;
        log.error('refund failed; support must return the money another way', { faxId: pi.faxId, paymentIntentId, refundId: event.data.object.id });
      }
      await deps.faxes.applyRefundState(pi.faxId, pi, failure);
      return event.type === 'refund.failed' ? 'refund_failed' : 'refund_state';
    }
    default:
      return 'ignored';
  }
}

/** The fax an event is about, when its payload says so (for the event record only). */
function eventFaxId(event: Stripe.Event): string | null {
  const object = event.data.object as { metadata?: Stripe.Metadata | null; client_reference_id?: string | null };
  return faxIdOf(object.metadata, object.client_reference_id);
}

/**
 * Handles one verified event of a type Durafax acts on exactly once: recorded by id first (a duplicate is answered
 * 200 and dropped), forgotten again when handling failed for a reason that may pass, so
 * Stripe's redelivery is processed; other failures are logged and acknowledged.
 */
async function processStripeEvent(deps: StripeEventDeps, event: Stripe.Event): Promise<WebhookResult> {
  // Other types (Stripe sends what the endpoint subscribes to) are acknowledged, not stored.
  if (!(HANDLED_EVENTS as readonly string[]).includes(event.type)) return { status: 200, outcome: 'ignored' };
  const fresh = await deps.events.record({ provider: 'stripe', eventId: event.id, type: event.type, faxId: eventFaxId(event) });
  if (!fresh) {
    deps.log.debug('duplicate stripe event dropped', { eventId: event.id, eventType: event.type });
    return { status: 200, outcome: 'duplicate' };
  }
  try {
    const outcome = await handle(deps, event);
    deps.log.info('stripe event handled', { eventId: event.id, eventType: event.type, outcome });
    return { status: 200, outcome };
  } catch (err) {
    if (isTransient(err)) {
      await deps.events.forget('stripe', event.id);
      deps.log.warn('stripe event failed; asking for redelivery', { eventId: event.id, eventType: event.type, err });
      return { status: 503, outcome: 'retry' };
    }
    deps.log.error('stripe event could not be handled', { eventId: event.id, eventType: event.type, err });
    return { status: 200, outcome: 'failed' };
  }
}

/** Stripe's events are well under this; anything larger is not from Stripe. */
const MAX_BODY_BYTES = 512 * 1024;

/** POST /webhooks/stripe: a verified event, handled once. */
export function stripeWebhook(deps: StripeEventDeps, check: ReturnType<typeof createStripeSignatureChecker>): Koa.Middleware {
  return async (ctx) => {
    const verified = check(await readRawBody(ctx.req, MAX_BODY_BYTES), ctx.get('stripe-signature') || undefined);
    if (!verified.ok) {
      if (verified.problem !== 'no_signature') deps.log.warn('stripe webhook refused', { problem: verified.problem });
      throw new HttpProblem(400, 'invalid_request', {}, { messageKey: `payments.webhook.${verified.problem}` });
    }
    const result = await processStripeEvent(deps, verified.event);
    if (result.status === 503) throw unavailable();
    ctx.body = { received: true, outcome: result.outcome };
  };
}
