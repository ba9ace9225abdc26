import { randomUUID } from 'node:crypto';
import { Fax } from '../../../src/db/entities/fax';
import { DEFAULT_RATE_LIMITS } from '../../../src/config/rate-limits';
import { silentLogger } from '../../../src/log';
import { RateLimits } from '../../../src/web/middleware/rate-limit';
import { freePort } from '../../../src/net';
import { createPayments, type StripePayments } from '../../../src/payments/stripe-payments';
import { startStripeTwin, type StripeTwin } from '../../../src/twins/stripe';
import { createStripeRoutes } from '../../../src/web/stripe/routes';
import { createTestDatabase, type TestDatabase } from '../../helpers/db';
import { CARDS, CheckoutBrowser, checkoutRequest, insertFax, RecordingSignals, serve, WEBHOOK_SECRET, type RunningApp } from '../../helpers/stripe';

let db: TestDatabase;
let twin: StripeTwin;
let payments: StripePayments;
let app: RunningApp;
const signals = new RecordingSignals();
const PUBLIC = 'https://fax.example';

beforeAll(async () => {
  db = await createTestDatabase();
  twin = await startStripeTwin({ port: 0, webhookSecret: WEBHOOK_SECRET, log: silentLogger });
  payments = createPayments({ secretKey: 'sk_test_redirect', webhookSecret: WEBHOOK_SECRET, apiBase: twin.url }, { maxNetworkRetries: 0 });
  const router = createStripeRoutes({
    db: db.db,
    payments,
    signals,
    webhookSecret: WEBHOOK_SECRET,
    publicBaseUrl: PUBLIC,
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

interface Answer {
  status: number;
  location: string | null;
  error?: { code: string; message: string };
}

async function get(path: string, language = 'en'): Promise<Answer> {
  const res = await fetch(path.startsWith('http') ? path : `${app.url}${path}`, { redirect: 'manual', headers: { 'accept-language': language } });
  const text = await res.text();
  const body = text && res.headers.get('content-type')?.includes('json') ? (JSON.parse(text) as { error?: Answer['error'] }) : {};
  return { status: res.status, location: res.headers.get('location'), error: body.error };
}

/** A fax and a checkout whose success URL points at the app, paid with `card` when given. */
async function checkout(row: Partial<Fax> = {}, card: string | null = CARDS.visa): Promise<{ fax: Fax; sessionId: string; successUrl: string | null }> {
  const fax = await insertFax(db.db, row);
  const session = await payments.createCheckoutSession(
    checkoutRequest(fax.id, {
      successUrl: `${app.url}/${fax.locale}/checkout/${fax.id}/success?session_id={CHECKOUT_SESSION_ID}`,
      cancelUrl: `${app.url}/${fax.locale}/checkout/${fax.id}/cancel`,
    }),
  );
  if (!card) return { fax, sessionId: session.id, successUrl: null };
  const paid = await new CheckoutBrowser().pay(session.url!, card);
  expect(paid.status).toBe(303);
  return { fax, sessionId: session.id, successUrl: paid.location };
}

test('the success redirect checks the payment with Stripe, signals the workflow and shows the status page', async () => {
  const { fax, sessionId, successUrl } = await checkout();
  expect(successUrl).toBe(`${app.url}/en/checkout/${fax.id}/success?session_id=${sessionId}`);
  const answer = await get(successUrl!);
  expect(answer).toMatchObject({ status: 303, location: `${PUBLIC}/${fax.locale}/faxes/${fax.id}` });
  const { paymentIntentId } = await payments.retrieveCheckoutSession(sessionId);
  expect(signals.payments).toEqual([{ faxId: fax.id, signal: { paymentIntentId, checkoutSessionId: sessionId, source: 'redirect' } }]);
});

test('after an authentication step the redirect confirms the payment the same way', async () => {
  const { fax, sessionId } = await checkout({}, null);
  const browser = new CheckoutBrowser();
  const first = await browser.pay(`${twin.url}/c/pay/${sessionId}`, CARDS.authenticate);
  expect(first).toMatchObject({ status: 303, location: `/c/pay/${sessionId}/authenticate` });
  const done = await browser.authenticate(`${twin.url}${first.location!}`, 'complete');
  expect(done.status).toBe(303);
  expect(await get(done.location!)).toMatchObject({ status: 303, location: `${PUBLIC}/${fax.locale}/faxes/${fax.id}` });
  expect(signals.payments).toHaveLength(1);
});

test('a browser arriving before paying (or with an open session) is sent to the status page without a signal', async () => {
  const { fax, sessionId } = await checkout({}, null);
  expect(await get(`/checkout/${fax.id}/success?session_id=${sessionId}`)).toMatchObject({ status: 303, location: `${PUBLIC}/${fax.locale}/faxes/${fax.id}` });
  expect(signals.payments).toHaveLength(0);
});

test('an amount that does not match the quote releases the hold and says so in the sender’s language', async () => {
  const { sessionId, successUrl } = await checkout({ priceAmount: 178, locale: 'fr' });
  const answer = await get(successUrl!);
  expect(answer.status).toBe(409);
  expect(answer.error).toEqual({ code: 'payment_amount_mismatch', message: 'Le paiement ne correspond pas au prix annoncé. Il a été libéré et rien n’a été débité.' });
  const { paymentIntentId } = await payments.retrieveCheckoutSession(sessionId);
  expect((await payments.retrievePaymentIntent(paymentIntentId!)).status).toBe('canceled');
  expect(signals.payments).toHaveLength(0);
});

test('a payment completed after the fax was cancelled is released, and the sender sees the status page', async () => {
  const { fax, sessionId, successUrl } = await checkout();
  await db.db.getRepository(Fax).update(fax.id, { status: 'cancelled', failureReason: 'cancelled_by_sender' });
  expect(await get(successUrl!)).toMatchObject({ status: 303, location: `${PUBLIC}/${fax.locale}/faxes/${fax.id}` });
  const { paymentIntentId } = await payments.retrieveCheckoutSession(sessionId);
  expect((await payments.retrievePaymentIntent(paymentIntentId!)).status).toBe('canceled');
  expect(signals.payments).toHaveLength(0);
});

test('a session of another fax, an unknown fax, an unknown or missing session all get one answer: no link tells whether a fax exists', async () => {
  const a = await checkout();
  const b = await insertFax(db.db, { locale: 'de' });
  const answers = [
    await get(`/checkout/${b.id}/success?session_id=${a.sessionId}`),
    await get(`/checkout/${randomUUID()}/success?session_id=${a.sessionId}`),
    await get(`/checkout/not-a-fax/success?session_id=${a.sessionId}`),
    await get(`/checkout/${b.id}/success?session_id=cs_test_nosuchsession`),
    await get(`/checkout/${b.id}/success?session_id=%3Cscript%3E`),
    await get(`/checkout/${b.id}/success`),
  ];
  expect(answers[0]).toEqual({
    status: 404,
    location: null,
    error: { code: 'not_found', message: 'This payment link is not valid. If you paid, your fax’s status page shows it.' },
  });
  for (const answer of answers) expect(answer).toEqual(answers[0]);
  expect((await get(`/de/checkout/${randomUUID()}/success?session_id=cs_test_x`)).error?.message).toBe(
    'Dieser Zahlungslink ist ungültig. Wenn Sie bezahlt haben, zeigt die Statusseite Ihres Faxes das an.',
  );
  expect(signals.payments).toHaveLength(0);
});

test('the success redirect is rate-limited per address, before it asks Stripe', async () => {
  const limited = await serve(
    createStripeRoutes({
      db: db.db,
      payments,
      signals,
      webhookSecret: WEBHOOK_SECRET,
      publicBaseUrl: PUBLIC,
      log: silentLogger,
      limits: new RateLimits(db.db, { ...DEFAULT_RATE_LIMITS, checkoutReturn: { points: 2, durationSecs: 600 } }),
    }),
  );
  try {
    // The counters are shared by every app on this database: the earlier tests' returns count too.
    await db.db.query(`DELETE FROM rate_limit WHERE key LIKE 'checkoutReturn%'`);
    const path = `/checkout/${randomUUID()}/success?session_id=cs_test_x`;
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await fetch(`${limited.url}${path}`, { redirect: 'manual' })).status);
    expect(statuses).toEqual([404, 404, 429]);
  } finally {
    await limited.stop();
  }
});

test('when Stripe cannot be reached, the sender is asked to look again shortly (503), not shown an error page', async () => {
  const fax = await insertFax(db.db, { locale: 'de' });
  const port = await freePort();
  const offline = createPayments({ secretKey: 'sk_test_redirect', webhookSecret: WEBHOOK_SECRET, apiBase: `http://127.0.0.1:${port}` }, { maxNetworkRetries: 0, timeoutMs: 2000 });
  const router = createStripeRoutes({
    db: db.db,
    payments: offline,
    signals,
    webhookSecret: WEBHOOK_SECRET,
    publicBaseUrl: PUBLIC,
    log: silentLogger,
    limits: new RateLimits(db.db, DEFAULT_RATE_LIMITS),
  });
  const offlineApp = await serve(router);
  try {
    const res = await fetch(`${offlineApp.url}/checkout/${fax.id}/success?session_id=cs_test_abc`, { redirect: 'manual' });
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('5');
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('service_unavailable');
    expect(body.error.message).toContain('Wenn Sie bezahlt haben');
  } finally {
    await offlineApp.stop();
  }
});

test('the cancel redirect leads back to the status page', async () => {
  const { fax } = await checkout({}, null);
  expect(await get(`/checkout/${fax.id}/cancel`)).toMatchObject({ status: 303, location: `${PUBLIC}/${fax.locale}/faxes/${fax.id}` });
  // Looked up nowhere: an unknown fax is sent the same way (its status page asks for the token).
  const unknown = randomUUID();
  expect(await get(`/fr/checkout/${unknown}/cancel`)).toMatchObject({ status: 303, location: `${PUBLIC}/fr/faxes/${unknown}` });
  expect(await get('/checkout/nope/cancel')).toMatchObject({ status: 404 });
});
