import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type Stripe from 'stripe';
import { CARDS, CheckoutBrowser, checkoutRequest, csrfOf, formAction } from '../../helpers/stripe';
import { journalLines, journalState, liveBytes } from '../journal-file';
import { acceptingEndpoint, DAY_MS, JOURNAL, paidSession, restartable, view } from './restartable';

test('every kind of change survives a restart exactly as clients see it', async () => {
  const endpoint = await acceptingEndpoint();
  const env = await restartable({ webhookUrl: endpoint.url });
  let twin = await env.start();
  try {
    const { raw, payments } = env;
    const captured = await paidSession(payments, CARDS.visa);
    await raw.paymentIntents.capture(captured.intentId);
    await raw.refunds.create({ payment_intent: captured.intentId, amount: 100 });

    const declinedFirst = await payments.createCheckoutSession(checkoutRequest(randomUUID()));
    const browser = new CheckoutBrowser();
    expect((await browser.pay(declinedFirst.url!, CARDS.declined)).status).toBe(402);
    expect((await browser.pay(declinedFirst.url!, CARDS.visa)).status).toBe(303);
    const cancelled = (await payments.retrieveCheckoutSession(declinedFirst.id)).paymentIntentId!;
    await raw.paymentIntents.cancel(cancelled);

    const failing = await paidSession(payments, CARDS.refundFails);
    await raw.paymentIntents.capture(failing.intentId);
    await raw.refunds.create({ payment_intent: failing.intentId });
    expect(await twin.sweep()).toBeGreaterThan(0);

    const expired = await payments.createCheckoutSession(checkoutRequest(randomUUID()));
    await raw.checkout.sessions.expire(expired.id);
    const held = await paidSession(payments, CARDS.visa);
    await twin.advanceClock(8 * DAY_MS);
    expect(await twin.sweep()).toBeGreaterThan(0);

    // Waiting for the authentication step: the pending card and the page's CSRF secret must survive.
    const pending = await payments.createCheckoutSession(checkoutRequest(randomUUID(), { expiresAt: new Date(Date.now() + 8 * DAY_MS + 3600_000) }));
    const challenger = new CheckoutBrowser();
    const challenge = await challenger.pay(pending.url!, CARDS.authenticate);
    expect(challenge.status).toBe(303);
    await twin.webhooksIdle();

    const sessionIds = [captured.sessionId, declinedFirst.id, failing.sessionId, expired.id, held.sessionId, pending.id];
    const before = await view(raw, twin, sessionIds);
    expect(before.refunds.map((r) => r.status).sort()).toEqual(['failed', 'succeeded']);
    expect(before.intents.find((pi) => pi.id === held.intentId)).toMatchObject({ status: 'canceled', cancellation_reason: 'automatic' });
    expect(before.deliveries.every((d) => d?.delivered)).toBe(true);
    await twin.stop();

    twin = await env.start();
    expect(await view(raw, twin, sessionIds)).toEqual(before);
    // The test clock's offset came back: a new session is created eight days ahead.
    const later = await raw.checkout.sessions.create({
      mode: 'payment',
      success_url: 'http://127.0.0.1:9/ok',
      line_items: [{ quantity: 1, price_data: { currency: 'eur', unit_amount: 100, product_data: { name: 'x' } } }],
    });
    expect(later.created).toBeGreaterThan(Date.now() / 1000 + 7 * 86_400);
    const done = await challenger.authenticate(new URL(challenge.location!, pending.url!).toString(), 'complete');
    expect(done.status).toBe(303);
    expect(await raw.checkout.sessions.retrieve(pending.id)).toMatchObject({ status: 'complete', payment_status: 'unpaid' });
  } finally {
    await twin.stop();
    await endpoint.stop();
    await env.cleanup();
  }
});

test('a torn last record is cut off and everything before it loads', async () => {
  const env = await restartable();
  let twin = await env.start();
  try {
    const sessions: string[] = [];
    for (let i = 0; i < 5; i++) sessions.push((await env.payments.createCheckoutSession(checkoutRequest(randomUUID()))).id);
    await twin.stop();
    const whole = (await fs.stat(env.file)).size;
    const lines = await journalLines(env.file);
    expect(lines.filter((l) => l.key.startsWith('sessions/')).map((l) => l.key)).toEqual(sessions.map((id) => `sessions/${id}`));
    // A crash in the middle of appending the next record: half of it reached the disk.
    const text = await fs.readFile(env.file, 'utf8');
    const last = text.slice(text.lastIndexOf('\n', text.length - 2) + 1);
    await fs.appendFile(env.file, last.slice(0, Math.floor(last.length / 2)));

    twin = await env.start();
    for (const id of sessions) expect(await env.raw.checkout.sessions.retrieve(id)).toMatchObject({ id, status: 'open' });
    expect((await fs.stat(env.file)).size).toBe(whole);
    const after = (await env.payments.createCheckoutSession(checkoutRequest(randomUUID()))).id;
    await twin.stop();

    twin = await env.start();
    for (const id of [...sessions, after]) expect(await env.raw.checkout.sessions.retrieve(id)).toMatchObject({ id });
  } finally {
    await twin.stop();
    await env.cleanup();
  }
});

test('a corrupt tail of several records is kept aside, and the twin starts', async () => {
  const env = await restartable();
  let twin = await env.start();
  try {
    const first = (await env.payments.createCheckoutSession(checkoutRequest(randomUUID()))).id;
    await twin.stop();
    const whole = (await fs.stat(env.file)).size;
    await fs.appendFile(env.file, 'not a record\n00000000 ["sessions/cs_x",{}]\n');
    twin = await env.start();
    expect(await env.raw.checkout.sessions.retrieve(first)).toMatchObject({ id: first });
    await expect(env.raw.checkout.sessions.retrieve('cs_x')).rejects.toMatchObject({ statusCode: 404 });
    expect((await fs.stat(env.file)).size).toBe(whole);
    const kept = (await fs.readdir(env.dataDir)).filter((n) => n.startsWith(`${JOURNAL}.damaged-`));
    expect(kept).toHaveLength(1);
    expect(await fs.readFile(path.join(env.dataDir, kept[0]), 'utf8')).toContain('not a record');
  } finally {
    await twin.stop();
    await env.cleanup();
  }
});

test('compaction keeps the state and bounds the file', async () => {
  const env = await restartable({ journalMinCompactBytes: 4096 });
  let twin = await env.start();
  try {
    const { sessionId, intentId } = await paidSession(env.payments, CARDS.visa);
    const advances = 300;
    for (let i = 0; i < advances; i++) await twin.advanceClock(1000);
    await twin.stop();
    const lines = await journalLines(env.file);
    // Each advance was a record of its own; most were compacted away.
    expect(lines.length).toBeLessThan(advances);
    const size = (await fs.stat(env.file)).size;
    expect(size).toBeLessThanOrEqual(Math.max(4096, 2 * (await liveBytes(env.file))));
    expect((await journalState(env.file)).get('clockOffsetMs')).toBe(advances * 1000);
    expect((await fs.readdir(env.dataDir)).filter((n) => n.endsWith('.tmp'))).toEqual([]);

    twin = await env.start();
    expect(await env.raw.paymentIntents.retrieve(intentId)).toMatchObject({ status: 'requires_capture' });
    expect(await env.raw.checkout.sessions.retrieve(sessionId)).toMatchObject({ status: 'complete', payment_intent: intentId });
    // The clock's offset is back: a new session is stamped that far ahead of the wall clock.
    const wall = Math.floor(Date.now() / 1000);
    const later = await env.payments.createCheckoutSession(checkoutRequest(randomUUID(), { expiresAt: new Date(Date.now() + advances * 1000 + 3600_000) }));
    expect((await env.raw.checkout.sessions.retrieve(later.id)).created).toBeGreaterThanOrEqual(wall + advances);
  } finally {
    await twin.stop();
    await env.cleanup();
  }
});

test('a state file of the earlier format is migrated into the journal once', async () => {
  const endpoint = await acceptingEndpoint();
  const env = await restartable({ webhookUrl: endpoint.url });
  let twin = await env.start();
  try {
    const { sessionId, intentId } = await paidSession(env.payments, CARDS.visa);
    await env.raw.paymentIntents.capture(intentId);
    const openRequest = checkoutRequest(randomUUID());
    const open = await env.payments.createCheckoutSession(openRequest);
    const browser = new CheckoutBrowser();
    const form = await browser.get(open.url!);
    await twin.webhooksIdle();
    const before = await view(env.raw, twin, [sessionId, open.id]);
    await twin.stop();

    // The whole-state file as earlier versions wrote it, made from the same state.
    const entries = await journalState(env.file);
    const legacy: Record<string, unknown> = { version: 1, sessions: {}, intents: {}, charges: {}, refunds: {}, events: {}, deliveries: {}, idempotency: {} };
    for (const [key, value] of entries) {
      const slash = key.indexOf('/');
      if (slash < 0) legacy[key] = value;
      else (legacy[key.slice(0, slash)] as Record<string, unknown>)[key.slice(slash + 1)] = value;
    }
    await fs.writeFile(path.join(env.dataDir, 'stripe-twin.json'), JSON.stringify(legacy));
    await fs.rm(env.file);

    twin = await env.start();
    // The legacy file is gone; the page file is the running twin's scratch.
    expect((await fs.readdir(env.dataDir)).sort()).toEqual([JOURNAL, 'stripe-twin.pages']);
    expect(await view(env.raw, twin, [sessionId, open.id])).toEqual(before);
    // The page secret came along: a form served before the migration is still accepted.
    const paid = await browser.post(new URL(formAction(form.html), open.url!).toString(), {
      csrf: csrfOf(form.html),
      card_number: CARDS.visa,
      card_expiry: '12 / 34',
      card_cvc: '123',
    });
    expect(paid.status).toBe(303);
    // The idempotency keys came along too: the same request answers the same session.
    expect((await env.payments.createCheckoutSession(openRequest)).id).toBe(open.id);
  } finally {
    await twin.stop();
    await endpoint.stop();
    await env.cleanup();
  }
});

test('concurrent requests are all recorded before they are answered', async () => {
  const env = await restartable();
  let twin = await env.start();
  try {
    const requests = Array.from({ length: 40 }, () => checkoutRequest(randomUUID()));
    // Each answer is checked against the file the moment it arrives.
    const onDiskAtAnswer: boolean[] = [];
    const created = await Promise.all(
      requests.map(async (r) => {
        const session = await env.payments.createCheckoutSession(r);
        onDiskAtAnswer.push(readFileSync(env.file, 'utf8').includes(`["sessions/${session.id}",`));
        return session;
      }),
    );
    expect(onDiskAtAnswer).toEqual(created.map(() => true));
    const onDisk = await journalState(env.file);
    for (const s of created) expect(onDisk.get(`sessions/${s.id}`)).toMatchObject({ json: { id: s.id, status: 'open' } });
    expect([...onDisk.keys()].filter((k) => k.startsWith('idempotency/'))).toHaveLength(40);
    const again = await Promise.all(requests.map((r) => env.payments.createCheckoutSession(r)));
    expect(again.map((s) => s.id)).toEqual(created.map((s) => s.id));
    await twin.stop();

    twin = await env.start();
    const listed = await Promise.all(created.map((s) => env.raw.checkout.sessions.retrieve(s.id)));
    expect(listed.map((s) => s.id)).toEqual(created.map((s) => s.id));
  } finally {
    await twin.stop();
    await env.cleanup();
  }
});

test('the sandbox keeps its newest events up to its limit, and every one whose webhook is still to be delivered', async () => {
  const ids = async (raw: Stripe) => (await raw.events.list({ limit: 100 }).autoPagingToArray({ limit: 10_000 })).map((e) => e.id);
  const threePayments = async (env: Awaited<ReturnType<typeof restartable>>) => {
    for (let i = 0; i < 3; i++) await env.raw.paymentIntents.capture((await paidSession(env.payments, CARDS.visa)).intentId);
  };
  // No endpoint: every event is settled, the oldest go.
  const settled = await restartable({ maxEvents: 4 });
  let twin = await settled.start();
  try {
    await threePayments(settled);
    const kept = await ids(settled.raw);
    expect(kept).toHaveLength(4);
    await twin.stop();
    twin = await settled.start();
    expect(await ids(settled.raw)).toEqual(kept);
  } finally {
    await twin.stop();
    await settled.cleanup();
  }
  // An endpoint that fails: no event may go before its webhook is delivered.
  const failing = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(500).end());
  });
  await new Promise<void>((resolve) => failing.listen(0, '127.0.0.1', resolve));
  const pending = await restartable({ maxEvents: 4, webhookUrl: `http://127.0.0.1:${(failing.address() as AddressInfo).port}/hook`, webhookRetryDelaysMs: [3_600_000] });
  twin = await pending.start();
  try {
    await threePayments(pending);
    const all = await ids(pending.raw);
    expect(all.length).toBeGreaterThan(4);
    expect(all.every((id) => twin.delivery(id)?.delivered === false)).toBe(true);
  } finally {
    await twin.stop();
    failing.closeAllConnections();
    await new Promise<void>((resolve) => failing.close(() => resolve()));
    await pending.cleanup();
  }
});
