import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import Stripe from 'stripe';
import { silentLogger } from '../../../src/log';
import { freePort } from '../../../src/net';
import { createStripeClient } from '../../../src/payments/stripe-client';
import { createPayments } from '../../../src/payments/stripe-payments';
import { startStripeTwin } from '../../../src/twins/stripe';
import { run as stripeTwinCommand } from '../../../src/twins/stripe/main';
import { CARDS, CheckoutBrowser, checkoutRequest, eventually, twinWithPayments, WEBHOOK_SECRET } from '../../helpers/stripe';
import { journalState } from '../journal-file';

interface Received {
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A webhook endpoint that records what arrives and answers with the next status in line. */
async function receiver(port: number, statuses: number[] = []): Promise<{ received: Received[]; stop(): Promise<void> }> {
  const received: Received[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(statuses.shift() ?? 200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    received,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function tempDir(): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), 'durafax-stripe-twin-'));
}

describe('webhooks from the twin', () => {
  test('are signed exactly as Stripe signs them', async () => {
    const port = await freePort();
    const endpoint = await receiver(port);
    const { twin, payments } = await twinWithPayments({ webhookUrl: `http://127.0.0.1:${port}/hook` });
    try {
      const session = await payments.createCheckoutSession(checkoutRequest(randomUUID()));
      await new CheckoutBrowser().pay(session.url!, CARDS.visa);
      await twin.webhooksIdle();
      expect(endpoint.received).toHaveLength(twin.events().length);
      for (const delivery of endpoint.received) {
        const header = String(delivery.headers['stripe-signature']);
        expect(header).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
        const event = Stripe.webhooks.constructEvent(delivery.body, header, WEBHOOK_SECRET, 300);
        expect(event.id).toMatch(/^evt_/);
        expect(() => Stripe.webhooks.constructEvent(delivery.body, header, 'whsec_other', 300)).toThrow(/No signatures found/);
      }
      const types = endpoint.received.map((d) => (JSON.parse(d.body) as { type: string }).type).sort();
      expect(types).toEqual(['charge.succeeded', 'checkout.session.completed', 'payment_intent.amount_capturable_updated', 'payment_intent.created']);
      const completed = endpoint.received.map((d) => JSON.parse(d.body) as Stripe.Event).find((e) => e.type === 'checkout.session.completed')!;
      expect(completed).toMatchObject({ object: 'event', livemode: false, api_version: Stripe.API_VERSION, data: { object: { id: session.id, status: 'complete' } } });
    } finally {
      await twin.stop();
      await endpoint.stop();
    }
  });

  test('are retried after the configured pauses, then given up', async () => {
    const port = await freePort();
    const endpoint = await receiver(port, [500, 502, 404, 500, 500, 500]);
    const { twin, payments } = await twinWithPayments({ webhookUrl: `http://127.0.0.1:${port}/hook`, webhookRetryDelaysMs: [50, 100, 150] });
    try {
      await payments.createCheckoutSession(checkoutRequest(randomUUID()));
      const session = await payments.createCheckoutSession(checkoutRequest(randomUUID()));
      await payments.expireCheckoutSession(randomUUID(), session.id);
      const [expired] = twin.events('checkout.session.expired');
      const started = Date.now();
      await eventually(() => expect(twin.delivery(expired.id)).toMatchObject({ attempts: 4, nextAttemptAt: null, delivered: false }));
      expect(Date.now() - started).toBeGreaterThanOrEqual(300);
      expect(endpoint.received).toHaveLength(4);
      expect(new Set(endpoint.received.map((r) => (JSON.parse(r.body) as { id: string }).id))).toEqual(new Set([expired.id]));
    } finally {
      await twin.stop();
      await endpoint.stop();
    }
  });
});

describe('restarts', () => {
  test('a restarted twin keeps sessions, payments, idempotency keys and undelivered webhooks', async () => {
    const dataDir = await tempDir();
    const port = await freePort();
    const hookPort = await freePort();
    const opts = { port, dataDir, webhookSecret: WEBHOOK_SECRET, webhookUrl: `http://127.0.0.1:${hookPort}/hook`, webhookRetryDelaysMs: [100, 100, 100], log: silentLogger };
    const config = { secretKey: 'sk_test_restart', webhookSecret: WEBHOOK_SECRET, apiBase: `http://127.0.0.1:${port}` };
    const payments = createPayments(config, { maxNetworkRetries: 2 });
    const faxId = randomUUID();
    const request = checkoutRequest(faxId);

    let twin = await startStripeTwin(opts);
    const session = await payments.createCheckoutSession(request);
    await new CheckoutBrowser().pay(session.url!, CARDS.visa);
    const piId = (await payments.retrieveCheckoutSession(session.id)).paymentIntentId!;
    const completed = twin.events('checkout.session.completed')[0];
    await eventually(() => expect(twin.delivery(completed.id)?.attempts).toBeGreaterThanOrEqual(1));
    await twin.stop();

    const endpoint = await receiver(hookPort);
    twin = await startStripeTwin(opts);
    try {
      expect(await payments.retrieveCheckoutSession(session.id)).toMatchObject({ status: 'complete', paymentIntentId: piId });
      expect(await payments.createCheckoutSession(request)).toMatchObject({ id: session.id });
      await expect(payments.createCheckoutSession({ ...request, amount: 999 })).rejects.toMatchObject({ kind: 'idempotency_conflict' });
      expect((await payments.capture(faxId, piId)).status).toBe('succeeded');
      await eventually(() => expect(twin.delivery(completed.id)).toMatchObject({ delivered: true }));
      expect(endpoint.received.some((r) => (JSON.parse(r.body) as { id: string }).id === completed.id)).toBe(true);
      const saved = await journalState(path.join(dataDir, 'stripe-twin.journal'));
      expect(saved.get(`intents/${piId}`)).toMatchObject({ status: 'succeeded' });
    } finally {
      await twin.stop();
      await endpoint.stop();
      await fs.rm(dataDir, { recursive: true, force: true });
    }
  });

  test('a replayed request answers what the first one got, not the object as it is now, before and after a restart', async () => {
    const dataDir = await tempDir();
    const port = await freePort();
    const opts = { port, dataDir, webhookSecret: WEBHOOK_SECRET, log: silentLogger };
    const raw = createStripeClient({ secretKey: 'sk_test_replay', webhookSecret: WEBHOOK_SECRET, apiBase: `http://127.0.0.1:${port}` }, { maxNetworkRetries: 0 });
    const params: Stripe.Checkout.SessionCreateParams = {
      mode: 'payment',
      line_items: [{ quantity: 1, price_data: { currency: 'eur', unit_amount: 500, product_data: { name: 'x' } } }],
      success_url: 'http://127.0.0.1:9/ok',
    };
    const key = `replay-${randomUUID()}`;
    let twin = await startStripeTwin(opts);
    try {
      const first = await raw.checkout.sessions.create(params, { idempotencyKey: key });
      expect(first).toMatchObject({ status: 'open', payment_status: 'unpaid' });
      await new CheckoutBrowser().pay(first.url!, CARDS.visa);
      expect(await raw.checkout.sessions.retrieve(first.id)).toMatchObject({ status: 'complete', payment_status: 'paid' });
      const replayed = await raw.checkout.sessions.create(params, { idempotencyKey: key });
      expect(replayed.lastResponse.headers['idempotent-replayed']).toBe('true');
      expect(replayed).toMatchObject({ id: first.id, status: 'open', payment_status: 'unpaid' });
      await twin.stop();
      twin = await startStripeTwin(opts);
      expect(await raw.checkout.sessions.create(params, { idempotencyKey: key })).toMatchObject({ id: first.id, status: 'open', payment_status: 'unpaid' });
    } finally {
      await twin.stop();
      await fs.rm(dataDir, { recursive: true, force: true });
    }
  });

  test('concurrent retries of one request (persisted twin) all get the one result', async () => {
    const dataDir = await tempDir();
    const { twin, payments } = await twinWithPayments({ dataDir });
    try {
      const req = checkoutRequest(randomUUID());
      const results = await Promise.all(Array.from({ length: 6 }, () => payments.createCheckoutSession(req)));
      expect(new Set(results.map((r) => r.id)).size).toBe(1);
    } finally {
      await twin.stop();
      await fs.rm(dataDir, { recursive: true, force: true });
    }
  });
});

describe('the API surface', () => {
  test('speaks Stripe: expansion, partial capture, unknown parameters and URLs', async () => {
    const { twin, payments } = await twinWithPayments({ holdWindowMs: 3600_000 });
    const raw = createStripeClient({ secretKey: 'sk_test_api', webhookSecret: WEBHOOK_SECRET, apiBase: twin.url }, { maxNetworkRetries: 0 });
    try {
      const faxId = randomUUID();
      const session = await payments.createCheckoutSession(checkoutRequest(faxId));
      await new CheckoutBrowser().pay(session.url!, CARDS.visa);
      const piId = (await payments.retrieveCheckoutSession(session.id)).paymentIntentId!;
      const pi = await raw.paymentIntents.retrieve(piId, { expand: ['latest_charge'] });
      const charge = pi.latest_charge as Stripe.Charge;
      expect(charge).toMatchObject({ object: 'charge', captured: false, paid: true, status: 'succeeded', payment_intent: piId });
      expect(charge.payment_method_details?.card?.capture_before).toBe(charge.created + 3600);
      const captured = await raw.paymentIntents.capture(piId, { amount_to_capture: 200, expand: ['latest_charge'] });
      expect(captured).toMatchObject({ status: 'succeeded', amount_received: 200, latest_charge: { amount_captured: 200, amount_refunded: 57 } });
      expect((await raw.refunds.create({ payment_intent: piId, amount: 500 }).catch((e: unknown) => e)) as object).toMatchObject({ code: 'amount_too_large', statusCode: 400 });

      const unknown = (await raw.rawRequest('POST', '/v1/checkout/sessions', { mode: 'payment', colour: 'blue' }).catch((e: unknown) => e)) as object;
      expect(unknown).toMatchObject({ code: 'parameter_unknown', param: 'colour', statusCode: 400 });
      const nowhere = (await raw.rawRequest('GET', '/v1/customers/cus_1').catch((e: unknown) => e)) as { message: string; statusCode: number };
      expect(nowhere.statusCode).toBe(404);
      expect(nowhere.message).toContain('Unrecognized request URL (GET: /v1/customers/cus_1)');
      const badExpand = (await raw.paymentIntents.retrieve(piId, { expand: ['customer'] }).catch((e: unknown) => e)) as object;
      expect(badExpand).toMatchObject({ statusCode: 400, param: 'expand' });
    } finally {
      await twin.stop();
    }
  });

  test('lists payment intents, events and refunds newest first, page by page, as Stripe does', async () => {
    const { twin, payments } = await twinWithPayments();
    const raw = createStripeClient({ secretKey: 'sk_test_api', webhookSecret: WEBHOOK_SECRET, apiBase: twin.url }, { maxNetworkRetries: 0 });
    try {
      const paid: string[] = [];
      for (let i = 0; i < 3; i++) {
        const session = await payments.createCheckoutSession(checkoutRequest(randomUUID()));
        await new CheckoutBrowser().pay(session.url!, CARDS.visa);
        paid.push((await payments.retrieveCheckoutSession(session.id)).paymentIntentId!);
      }
      await raw.paymentIntents.capture(paid[0]);
      await raw.refunds.create({ payment_intent: paid[0] });

      const first = await raw.paymentIntents.list({ limit: 2 });
      expect(first.data.map((pi) => pi.id)).toEqual([paid[2], paid[1]]);
      expect(first.has_more).toBe(true);
      const rest = await raw.paymentIntents.list({ limit: 2, starting_after: paid[1] });
      expect(rest).toMatchObject({ data: [{ id: paid[0], status: 'succeeded' }], has_more: false });
      // The library's auto-pagination walks the cursor to the end.
      const all: string[] = [];
      for await (const pi of raw.paymentIntents.list({ limit: 1 })) all.push(pi.id);
      expect(all).toEqual([...paid].reverse());

      const captured = await raw.events.list({ type: 'charge.captured', limit: 100 });
      expect(captured.data.map((e) => (e.data.object as Stripe.Charge).payment_intent)).toEqual([paid[0]]);
      expect((await raw.events.list({ limit: 100 })).data.length).toBe(twin.events().length);
      expect((await raw.refunds.list({ payment_intent: paid[0] })).data).toEqual([expect.objectContaining({ payment_intent: paid[0], status: 'succeeded' })]);
      expect((await raw.refunds.list({ payment_intent: paid[1] })).data).toEqual([]);
      const badCursor = (await raw.paymentIntents.list({ starting_after: 'pi_nothing' }).catch((e: unknown) => e)) as object;
      expect(badCursor).toMatchObject({ statusCode: 400, param: 'starting_after' });
    } finally {
      await twin.stop();
    }
  });

  test('the command line refuses to run outside sandbox mode', async () => {
    await expect(stripeTwinCommand(['--port', '0'], {})).rejects.toThrow('only in sandbox mode');
    await expect(stripeTwinCommand(['--colour', 'blue'], { DURAFAX_SANDBOX: '1' })).rejects.toThrow('unknown option --colour');
  });
});
