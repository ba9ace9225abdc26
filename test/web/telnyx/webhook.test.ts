import { createPublicKey, generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import request from 'supertest';
import { encodeClientState } from '../../../src/carrier/client-state';
import { createCarrier } from '../../../src/carrier/telnyx-carrier';
import { silentLogger } from '../../../src/log';
import { startCarrierTwin, signWebhook } from '../../../src/twins/carrier';
import { createAppFrame } from '../../../src/web/app';
import { isStaleTransition } from '../../../src/carrier/transitions';
import { createTelnyxRoutes } from '../../../src/web/telnyx/routes';
import { createTestDatabase, type TestDatabase } from '../../helpers/db';
import { MemoryLedger, RecordingSignals, startMediaServer, waitForFinal, waitUntil } from '../../helpers/carrier';

let t: TestDatabase;
let key: KeyObject;
let publicKey: string;

/** The raw 32-byte public key, base64, as Telnyx shows it. */
function rawPublicKey(privateKey: KeyObject): string {
  const spki = createPublicKey(privateKey).export({ format: 'der', type: 'spki' });
  return spki.subarray(spki.length - 32).toString('base64');
}

beforeAll(async () => {
  t = await createTestDatabase();
  key = generateKeyPairSync('ed25519').privateKey;
  publicKey = rawPublicKey(key);
});
afterAll(async () => {
  await t.drop();
});

function app(signals: RecordingSignals, toleranceSecs?: number): Koa {
  const a = createAppFrame(silentLogger);
  const router = createTelnyxRoutes({ db: t.db, signals, publicKey, log: silentLogger, toleranceSecs });
  a.use(router.routes()).use(router.allowedMethods());
  return a;
}

const faxId = (): string => randomUUID();

function faxEvent(eventType: string, opts: { id?: string; fax?: string; carrierFaxId?: string; attempt?: number; payload?: object; deliveryAttempt?: number } = {}): string {
  const clientState = opts.fax ? encodeClientState({ faxId: opts.fax, attempt: opts.attempt ?? 1 }) : undefined;
  return JSON.stringify({
    data: {
      event_type: eventType,
      id: opts.id ?? randomUUID(),
      occurred_at: new Date().toISOString(),
      record_type: 'event',
      payload: {
        fax_id: opts.carrierFaxId ?? 'c0ffee00-0000-4000-8000-000000000001',
        direction: 'outbound',
        status: eventType.replace(/^fax\./, '').replace('sending.started', 'sending'),
        client_state: clientState,
        ...opts.payload,
      },
    },
    meta: { attempt: opts.deliveryAttempt ?? 1, delivered_to: 'http://127.0.0.1/webhooks/telnyx' },
  });
}

function post(a: Koa, body: string, headers: Record<string, string> = signWebhook(body, key)) {
  return request(a.callback()).post('/webhooks/telnyx').set('content-type', 'application/json').set(headers).send(body);
}

async function storedEvents(eventId: string): Promise<number> {
  const rows: Array<{ n: string }> = await t.db.query(`SELECT count(*) AS n FROM webhook_event WHERE provider = 'telnyx' AND event_id = $1`, [eventId]);
  return Number(rows[0].n);
}

test('a signed fax event reaches the fax workflow with everything it says', async () => {
  const signals = new RecordingSignals();
  const id = faxId();
  const eventId = randomUUID();
  const body = faxEvent('fax.delivered', { id: eventId, fax: id, attempt: 2, payload: { page_count: 3, call_duration_secs: 98 } });
  const res = await post(app(signals), body);
  expect(res.status).toBe(200);
  expect(res.body).toEqual({ received: true });
  expect(signals.events).toHaveLength(1);
  expect(signals.events[0].faxId).toBe(id);
  expect(signals.events[0].event).toMatchObject({
    eventId,
    carrierFaxId: 'c0ffee00-0000-4000-8000-000000000001',
    status: 'delivered',
    failureReason: null,
    pagesSent: 3,
    callDurationSecs: 98,
    clientState: { faxId: id, attempt: 2 },
  });
  expect(await storedEvents(eventId)).toBe(1);
});

test('a failure carries its reason', async () => {
  const signals = new RecordingSignals();
  await post(app(signals), faxEvent('fax.failed', { fax: faxId(), payload: { failure_reason: 'user_busy', page_count: 0 } })).expect(200);
  expect(signals.events[0].event).toMatchObject({ status: 'failed', failureReason: 'user_busy', pagesSent: 0 });
});

test('duplicates are dropped, including concurrent redeliveries', async () => {
  const signals = new RecordingSignals();
  const a = app(signals);
  const id = faxId();
  const eventId = randomUUID();
  const first = await post(a, faxEvent('fax.sending.started', { id: eventId, fax: id }));
  expect(first.body).toEqual({ received: true });
  const again = await post(a, faxEvent('fax.sending.started', { id: eventId, fax: id, deliveryAttempt: 2 }));
  expect(again.status).toBe(200);
  expect(again.body).toEqual({ received: true, duplicate: true });

  const concurrentId = randomUUID();
  const results = await Promise.all([1, 2, 3].map((n) => post(a, faxEvent('fax.media.processed', { id: concurrentId, fax: id, deliveryAttempt: n }))));
  expect(results.map((r) => r.status)).toEqual([200, 200, 200]);
  expect(signals.events.map((e) => e.event.eventId)).toEqual([eventId, concurrentId]);
});

test('out-of-order events are all forwarded; the stale ones are recognisable', async () => {
  const signals = new RecordingSignals();
  const a = app(signals);
  const id = faxId();
  for (const type of ['fax.delivered', 'fax.queued', 'fax.sending.started', 'fax.media.processed']) {
    await post(a, faxEvent(type, { fax: id })).expect(200);
  }
  const statuses = signals.events.map((e) => e.event.status);
  expect(statuses).toEqual(['delivered', 'queued', 'sending', 'media.processed']);
  const folded = statuses.reduce((cur, next) => (isStaleTransition(cur, next) ? cur : next));
  expect(folded).toBe('delivered');
});

describe('refused', () => {
  test('a signature from another key, a changed body, or no signature at all', async () => {
    const signals = new RecordingSignals();
    const a = app(signals);
    const body = faxEvent('fax.delivered', { fax: faxId() });
    const otherKey = generateKeyPairSync('ed25519').privateKey;
    const foreign = await post(a, body, signWebhook(body, otherKey));
    expect(foreign.status).toBe(400);
    expect(foreign.body.error.code).toBe('invalid_request');
    expect(foreign.body.error.message).toContain('signature does not match');

    const tampered = await post(a, body.replace('"outbound"', '"inbound"'), signWebhook(body, key));
    expect(tampered.status).toBe(400);

    const unsigned = await post(a, body, {});
    expect(unsigned.status).toBe(400);
    expect(unsigned.body.error.message).toContain('signature headers are missing');

    const garbage = await post(a, body, { 'telnyx-signature-ed25519': 'bm90IGEgc2lnbmF0dXJl', 'telnyx-timestamp': String(Math.floor(Date.now() / 1000)) });
    expect(garbage.status).toBe(400);
    expect(signals.events).toHaveLength(0);
  });

  test('stale or future timestamps, by the default and a stricter tolerance', async () => {
    const signals = new RecordingSignals();
    const now = Math.floor(Date.now() / 1000);
    const body = faxEvent('fax.delivered', { fax: faxId() });
    const old = await post(app(signals), body, signWebhook(body, key, now - 600));
    expect(old.status).toBe(400);
    expect(old.body.error.message).toContain('timestamp');
    expect((await post(app(signals), body, signWebhook(body, key, now + 600))).status).toBe(400);
    expect((await post(app(signals, 60), body, signWebhook(body, key, now - 120))).status).toBe(400);
    expect((await post(app(signals, 60), body, signWebhook(body, key, now - 30))).status).toBe(200);
    expect(signals.events).toHaveLength(1);
  });

  test('the refusal is translated', async () => {
    const body = faxEvent('fax.delivered', { fax: faxId() });
    const res = await post(app(new RecordingSignals()), body, {}).set('Accept-Language', 'de-DE,de;q=0.9');
    expect(res.status).toBe(400);
    expect(res.body.error.message).toBe('Die Telnyx-Signatur-Header fehlen.');
  });

  test('signed bodies that are not fax events, and oversized bodies', async () => {
    const signals = new RecordingSignals();
    const a = app(signals);
    expect((await post(a, 'not json')).status).toBe(400);
    const noIds = JSON.stringify({ data: { event_type: 'fax.delivered', payload: {} } });
    expect((await post(a, noIds)).status).toBe(400);
    const huge = JSON.stringify({ data: { event_type: 'fax.delivered', pad: 'x'.repeat(300 * 1024) } });
    expect((await post(a, huge)).status).toBe(413);
    expect(signals.events).toHaveLength(0);
  });

  test('an unusable public key stops start-up', () => {
    expect(() => createTelnyxRoutes({ db: t.db, signals: new RecordingSignals(), publicKey: 'not-a-key', log: silentLogger })).toThrow();
  });
});

test('other event types and faxes that are not ours are acknowledged and ignored', async () => {
  const signals = new RecordingSignals();
  const a = app(signals);
  const callId = randomUUID();
  const call = JSON.stringify({ data: { event_type: 'call.initiated', id: callId, payload: { call_control_id: 'x' } } });
  expect((await post(a, call)).body).toEqual({ received: true, ignored: true });
  const foreignFax = faxEvent('fax.delivered', { payload: { client_state: 'aGF2ZSBhIG5pY2UgZGF5ID1d' } });
  expect((await post(a, foreignFax)).body).toEqual({ received: true, ignored: true });
  expect(signals.events).toHaveLength(0);
  expect(await storedEvents(callId)).toBe(0);
});

test('when the workflow cannot be reached the event is not kept, so the redelivery counts', async () => {
  const signals = new RecordingSignals();
  signals.failNext = 1;
  const a = app(signals);
  const eventId = randomUUID();
  const id = faxId();
  const failed = await post(a, faxEvent('fax.delivered', { id: eventId, fax: id }));
  expect(failed.status).toBe(503);
  expect(failed.body.error.code).toBe('service_unavailable');
  expect(await storedEvents(eventId)).toBe(0);
  const retried = await post(a, faxEvent('fax.delivered', { id: eventId, fax: id, deliveryAttempt: 2 }));
  expect(retried.body).toEqual({ received: true });
  expect(signals.events.map((e) => e.event.eventId)).toEqual([eventId]);
});

test('end to end: the twin transmits, signs and retries webhooks; the route forwards each event once', async () => {
  const media = await startMediaServer();
  const signals = new RecordingSignals();
  signals.failNext = 1;
  let server: http.Server | null = null;
  const twin = await startCarrierTwin({ port: 0, msPerPage: 10, webhookRetryDelaysMs: [30, 60, 120] });
  try {
    const a = createAppFrame(silentLogger);
    const router = createTelnyxRoutes({ db: t.db, signals, publicKey: twin.publicKey, log: silentLogger });
    a.use(router.routes());
    server = a.listen(0, '127.0.0.1');
    await new Promise<void>((resolve) => server!.once('listening', () => resolve()));
    const webhookUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/telnyx`;

    const carrier = createCarrier({ apiKey: 'KEY_SANDBOX', connectionId: 'c', publicKey: twin.publicKey, fromNumber: '+15005550006', apiBase: twin.url }, { webhookUrl });
    const id = faxId();
    const sent = await carrier.sendOnce({ faxId: id, attempt: 1, to: '+493012345678', mediaUrl: media.url('/doc-2.pdf') }, new MemoryLedger());
    await waitForFinal(carrier, sent.id);
    await waitUntil('the delivered event arrived', () => signals.events.some((e) => e.event.status === 'delivered'));
    await twin.webhooksIdle();

    expect(signals.events.map((e) => e.event.status)).toEqual(['queued', 'media.processed', 'sending', 'delivered']);
    expect(signals.events.every((e) => e.faxId === id && e.event.carrierFaxId === sent.id)).toBe(true);
    expect(signals.events[3].event).toMatchObject({ pagesSent: 2, callDurationSecs: 68 });
    // The first delivery was refused (503) and redelivered with the same event id.
    const deliveries = twin.deliveries();
    expect(deliveries[0]).toMatchObject({ eventType: 'fax.queued', attempt: 1, status: 503 });
    expect(deliveries[1]).toMatchObject({ eventId: deliveries[0].eventId, attempt: 2, status: 200 });
    expect(deliveries.filter((d) => d.status === 200)).toHaveLength(4);
  } finally {
    await twin.stop();
    await media.close();
    if (server) await new Promise<void>((resolve) => server!.close(() => resolve()));
  }
});
