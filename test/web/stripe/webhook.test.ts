import Stripe from 'stripe';
import { Fax } from '../../../src/db/entities/fax';
import { WebhookEvent } from '../../../src/db/entities/webhook-event';
import { DEFAULT_RATE_LIMITS } from '../../../src/config/rate-limits';
import { silentLogger } from '../../../src/log';
import { RateLimits } from '../../../src/web/middleware/rate-limit';
import { freePort } from '../../../src/net';
import { createStripeClient } from '../../../src/payments/stripe-client';
import { createPayments, type StripePayments } from '../../../src/payments/stripe-payments';
import { startStripeTwin, type StripeTwin } from '../../../src/twins/stripe';
import { createStripeRoutes, HANDLED_EVENTS } from '../../../src/web/stripe/routes';
import { createTestDatabase, type TestDatabase } from '../../helpers/db';
import { CARDS, CheckoutBrowser, checkoutRequest, eventually, insertFax, RecordingSignals, serve, WEBHOOK_SECRET, type RunningApp } from '../../helpers/stripe';

let db: TestDatabase;
let twin: StripeTwin;
let payments: StripePayments;
let raw: Stripe;
let app: RunningApp;
const signals = new RecordingSignals();

beforeAll(async () => {
  db = await createTestDatabase();
  // No webhook URL: each test delivers the twin's events itself, in the order it wants.
  twin = await startStripeTwin({ port: 0, webhookSecret: WEBHOOK_SECRET, log: silentLogger });
  const config = { secretKey: 'sk_test_routes', webhookSecret: WEBHOOK_SECRET, apiBase: twin.url };
  payments = createPayments(config, { maxNetworkRetries: 0 });
  raw = createStripeClient(config, { maxNetworkRetries: 0 });
  const router = createStripeRoutes({
    db: db.db,
    payments,
    signals,
    webhookSecret: WEBHOOK_SECRET,
    publicBaseUrl: 'http://fax.test',
    log: silentLogger,
    limits: new RateLimits(db.db, DEFAULT_RATE_LIMITS),
  });
  app = await serve(router);
});
afterAll(async () => {
  await app.stop();
  await twin.stop();
  await db.drop();
});
beforeEach(() => {
  signals.payments.length = 0;
  signals.outcome = 'delivered';
});

interface Delivery {
  status: number;
  body: { received?: boolean; outcome?: string; error?: { code: string; message: string } };
}

async function deliver(payload: string, header: string | null, language = 'en'): Promise<Delivery> {
  const headers: Record<string, string> = { 'content-type': 'application/json', 'accept-language': language };
  if (header !== null) headers['stripe-signature'] = header;
  const res = await fetch(`${app.url}/webhooks/stripe`, { method: 'POST', headers, body: payload });
  return { status: res.status, body: (await res.json()) as Delivery['body'] };
}

/** Delivers an event as Stripe does: JSON body, signed now with the endpoint's secret. */
function deliverEvent(event: object, opts: { secret?: string; timestamp?: number } = {}): Promise<Delivery> {
  const payload = JSON.stringify(event, null, 2);
  const header = Stripe.webhooks.generateTestHeaderString({ payload, secret: opts.secret ?? WEBHOOK_SECRET, timestamp: opts.timestamp });
  return deliver(payload, header);
}

function lastEvent(type: string, objectId: string): object {
  const found = twin.events(type).filter((e) => e.data.object.id === objectId || (e.data.object as { payment_intent?: string }).payment_intent === objectId);
  if (found.length === 0) throw new Error(`no ${type} event for ${objectId}`);
  return found[found.length - 1];
}

/** A fax row awaiting payment and a checkout the sender paid with `card`. */
async function paidCheckout(row: Partial<Fax> = {}, card = CARDS.visa): Promise<{ fax: Fax; sessionId: string; paymentIntentId: string }> {
  const fax = await insertFax(db.db, row);
  const session = await payments.createCheckoutSession(checkoutRequest(fax.id, { successUrl: `${app.url}/checkout/${fax.id}/success?session_id={CHECKOUT_SESSION_ID}` }));
  const res = await new CheckoutBrowser().pay(session.url!, card);
  expect(res.status).toBe(303);
  const paid = await payments.retrieveCheckoutSession(session.id);
  return { fax, sessionId: session.id, paymentIntentId: paid.paymentIntentId! };
}

async function faxRow(id: string): Promise<Fax> {
  return db.db.getRepository(Fax).findOneByOrFail({ id });
}

describe('signatures', () => {
  test('a forged signature is refused with a clear, translated problem and changes nothing', async () => {
    const { sessionId } = await paidCheckout();
    const event = lastEvent('checkout.session.completed', sessionId);
    const forged = await deliverEvent(event, { secret: 'whsec_not_ours' });
    expect(forged.status).toBe(400);
    expect(forged.body.error).toEqual({ code: 'invalid_request', message: 'The Stripe signature does not match this request.' });
    const payload = JSON.stringify(event);
    const header = Stripe.webhooks.generateTestHeaderString({ payload, secret: WEBHOOK_SECRET });
    const german = await deliver(payload.replace('"livemode":false', '"livemode":true'), header, 'de');
    expect(german.status).toBe(400);
    expect(german.body.error?.message).toBe('Die Stripe-Signatur passt nicht zu dieser Anfrage.');
    const unsigned = await deliver(payload, null);
    expect(unsigned.status).toBe(400);
    expect(unsigned.body.error?.message).toContain('Stripe-Signature header is missing');
    expect(signals.payments).toHaveLength(0);
    expect(await db.db.getRepository(WebhookEvent).countBy({ provider: 'stripe' })).toBe(0);
  });

  test('a stale timestamp is refused, even with a valid signature', async () => {
    const { sessionId } = await paidCheckout();
    const stale = await deliverEvent(lastEvent('checkout.session.completed', sessionId), { timestamp: Math.floor(Date.now() / 1000) - 301 });
    expect(stale.status).toBe(400);
    expect(stale.body.error?.message).toContain('too old');
    expect(signals.payments).toHaveLength(0);
  });

  test('a signed body that is not a Stripe event is refused; unknown event types are acknowledged', async () => {
    const junk = 'not json at all';
    expect((await deliver(junk, Stripe.webhooks.generateTestHeaderString({ payload: junk, secret: WEBHOOK_SECRET }))).body.error?.message).toContain('not a Stripe event');
    const other = await deliverEvent({ id: 'evt_other_1', object: 'event', type: 'customer.created', data: { object: { id: 'cus_1', object: 'customer' } } });
    expect(other).toEqual({ status: 200, body: { received: true, outcome: 'ignored' } });
  });
});

describe('checkout.session.completed', () => {
  test('a valid hold is signalled to the workflow once, however often it is delivered', async () => {
    const { fax, sessionId, paymentIntentId } = await paidCheckout();
    const event = lastEvent('checkout.session.completed', sessionId);
    expect(await deliverEvent(event)).toEqual({ status: 200, body: { received: true, outcome: 'authorized' } });
    expect(await deliverEvent(event)).toEqual({ status: 200, body: { received: true, outcome: 'duplicate' } });
    expect(signals.payments).toEqual([{ faxId: fax.id, signal: { paymentIntentId, checkoutSessionId: sessionId, source: 'webhook' } }]);
    const recorded = await db.db.getRepository(WebhookEvent).findOneByOrFail({ provider: 'stripe', eventId: (event as { id: string }).id });
    expect(recorded).toMatchObject({ type: 'checkout.session.completed', faxId: fax.id });
    expect((await payments.retrievePaymentIntent(paymentIntentId)).status).toBe('requires_capture');
  });

  test('concurrent deliveries of one event are handled once', async () => {
    const { sessionId } = await paidCheckout();
    const event = lastEvent('checkout.session.completed', sessionId);
    const results = await Promise.all([deliverEvent(event), deliverEvent(event), deliverEvent(event)]);
    expect(results.map((r) => r.body.outcome).sort()).toEqual(['authorized', 'duplicate', 'duplicate']);
    expect(signals.payments).toHaveLength(1);
  });

  test('a payment that does not match the quote is released and never signalled', async () => {
    const { fax, sessionId, paymentIntentId } = await paidCheckout({ priceAmount: 336 });
    expect((await deliverEvent(lastEvent('checkout.session.completed', sessionId))).body.outcome).toBe('released');
    expect(signals.payments).toHaveLength(0);
    const pi = await raw.paymentIntents.retrieve(paymentIntentId);
    expect(pi).toMatchObject({ status: 'canceled', cancellation_reason: 'abandoned' });
    expect((await faxRow(fax.id)).paymentState).toBe('none');
  });

  test('a late payment on an expired fax is released (out of order: the expiry arrived first)', async () => {
    const { fax, sessionId, paymentIntentId } = await paidCheckout();
    await db.db.getRepository(Fax).update(fax.id, { status: 'expired', failureReason: 'payment_expired' });
    const expired = {
      id: `evt_expired_${fax.id}`,
      object: 'event',
      type: 'checkout.session.expired',
      data: { object: { id: 'cs_test_older', object: 'checkout.session', metadata: { fax_id: fax.id } } },
    };
    expect((await deliverEvent(expired)).body.outcome).toBe('noted');
    expect((await deliverEvent(lastEvent('checkout.session.completed', sessionId))).body.outcome).toBe('released');
    expect(signals.payments).toHaveLength(0);
    expect((await payments.retrievePaymentIntent(paymentIntentId)).status).toBe('canceled');
  });

  test('a payment that reaches a workflow that has closed is released', async () => {
    const { sessionId, paymentIntentId } = await paidCheckout();
    signals.outcome = 'closed';
    expect((await deliverEvent(lastEvent('checkout.session.completed', sessionId))).body.outcome).toBe('released');
    expect((await payments.retrievePaymentIntent(paymentIntentId)).status).toBe('canceled');
  });

  test('when the workflow cannot be reached, the event is forgotten and Stripe’s redelivery succeeds', async () => {
    const { fax, sessionId, paymentIntentId } = await paidCheckout();
    const event = lastEvent('checkout.session.completed', sessionId);
    signals.outcome = new Error('temporal unavailable');
    const first = await deliverEvent(event);
    expect(first.status).toBe(503);
    expect(first.body.error?.code).toBe('service_unavailable');
    expect(await db.db.getRepository(WebhookEvent).countBy({ eventId: (event as { id: string }).id })).toBe(0);
    signals.outcome = 'delivered';
    expect((await deliverEvent(event)).body.outcome).toBe('authorized');
    expect(signals.payments).toEqual([{ faxId: fax.id, signal: { paymentIntentId, checkoutSessionId: sessionId, source: 'webhook' } }]);
  });

  test('a redelivered completion after the workflow captured is acknowledged without a new signal', async () => {
    const { fax, sessionId, paymentIntentId } = await paidCheckout();
    await payments.capture(fax.id, paymentIntentId);
    const event = { ...(lastEvent('checkout.session.completed', sessionId) as { id: string }), id: `evt_again_${fax.id}` };
    expect((await deliverEvent(event)).body.outcome).toBe('settled');
    expect(signals.payments).toHaveLength(0);
  });

  test('sessions of another system (no fax id) are acknowledged and ignored', async () => {
    const event = {
      id: 'evt_foreign_1',
      object: 'event',
      type: 'checkout.session.completed',
      data: { object: { id: 'cs_test_foreign', object: 'checkout.session', metadata: {} } },
    };
    expect((await deliverEvent(event)).body.outcome).toBe('ignored');
  });
});

describe('payment state events', () => {
  test('payment_intent.canceled marks the fax’s authorized hold released', async () => {
    const { fax, paymentIntentId } = await paidCheckout();
    await db.db.getRepository(Fax).update(fax.id, { paymentIntentId, paymentState: 'authorized', status: 'queued' });
    await payments.cancel(fax.id, paymentIntentId);
    expect((await deliverEvent(lastEvent('payment_intent.canceled', paymentIntentId))).body.outcome).toBe('released');
    expect((await faxRow(fax.id)).paymentState).toBe('released');
  });

  test('refund events record the refunded amount; a refund that fails later is put back for support', async () => {
    const { fax, paymentIntentId } = await paidCheckout({}, CARDS.refundFails);
    await payments.capture(fax.id, paymentIntentId);
    await db.db.getRepository(Fax).update(fax.id, { paymentIntentId, paymentState: 'captured', amountCaptured: 257, status: 'failed' });
    const refund = await payments.refund(fax.id, paymentIntentId);
    expect((await deliverEvent(lastEvent('charge.refunded', paymentIntentId))).body.outcome).toBe('refund_state');
    expect(await faxRow(fax.id)).toMatchObject({ paymentState: 'refunded', amountRefunded: 257 });

    await twin.sweep();
    // Out of order: the failure arrives before the refund's update.
    expect((await deliverEvent(lastEvent('refund.failed', paymentIntentId))).body.outcome).toBe('refund_failed');
    expect((await deliverEvent(lastEvent('refund.updated', paymentIntentId))).body.outcome).toBe('refund_state');
    const row = await faxRow(fax.id);
    expect(row).toMatchObject({ paymentState: 'captured', amountRefunded: 0 });
    expect(row.failureDetail).toBe(`refund ${refund.id} failed: expired_or_canceled_card`);
  });
});

describe('delivered by the twin', () => {
  test('signed deliveries reach the endpoint; a 5xx answer is retried with backoff until it succeeds', async () => {
    const port = await freePort();
    const local = await createTestDatabase();
    const webhookTwin = await startStripeTwin({
      port: 0,
      webhookSecret: WEBHOOK_SECRET,
      webhookUrl: `http://127.0.0.1:${port}/webhooks/stripe`,
      webhookRetryDelaysMs: [100, 200, 400],
      log: silentLogger,
    });
    const localSignals = new RecordingSignals();
    const localPayments = createPayments({ secretKey: 'sk_test_routes', webhookSecret: WEBHOOK_SECRET, apiBase: webhookTwin.url });
    const router = createStripeRoutes({
      db: local.db,
      payments: localPayments,
      signals: localSignals,
      webhookSecret: WEBHOOK_SECRET,
      publicBaseUrl: 'http://fax.test',
      log: silentLogger,
      limits: new RateLimits(local.db, DEFAULT_RATE_LIMITS),
    });
    const localApp = await serve(router, port);
    try {
      localSignals.outcome = new Error('temporal unavailable');
      const fax = await insertFax(local.db);
      const session = await localPayments.createCheckoutSession(checkoutRequest(fax.id));
      await new CheckoutBrowser().pay(session.url!, CARDS.visa);
      const completed = webhookTwin.events('checkout.session.completed')[0];
      await eventually(() => expect(webhookTwin.delivery(completed.id)).toMatchObject({ attempts: 1, lastStatus: 503, delivered: false }));
      localSignals.outcome = 'delivered';
      await eventually(() => expect(localSignals.payments).toHaveLength(1));
      // The twin records the attempt once the answer is back, a moment after the app signalled.
      await eventually(() => expect(webhookTwin.delivery(completed.id)).toMatchObject({ attempts: 2, lastStatus: 200, delivered: true }));
      expect(localSignals.payments[0]).toMatchObject({ faxId: fax.id, signal: { source: 'webhook', checkoutSessionId: session.id } });
      await webhookTwin.webhooksIdle();
      expect(webhookTwin.events('checkout.session.completed')[0].pending_webhooks).toBe(0);
      const handled = webhookTwin.events().filter((e) => (HANDLED_EVENTS as readonly string[]).includes(e.type));
      expect(handled.map((e) => e.type)).toEqual(['checkout.session.completed']);
      expect(await local.db.getRepository(WebhookEvent).findBy({ provider: 'stripe' })).toEqual([expect.objectContaining({ eventId: completed.id, faxId: fax.id })]);
    } finally {
      await localApp.stop();
      await webhookTwin.stop();
      await local.drop();
    }
  });
});
