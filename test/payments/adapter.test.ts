import { randomUUID } from 'node:crypto';
import { freePort } from '../../src/net';
import { createStripeClient } from '../../src/payments/stripe-client';
import { createPayments } from '../../src/payments/stripe-payments';
import { PaymentError, type CheckoutSessionInfo, type PaymentErrorKind } from '../../src/payments/types';
import { CARDS, CheckoutBrowser, checkoutRequest, twinWithPayments, WEBHOOK_SECRET, type TwinWithPayments } from '../helpers/stripe';

const HOLD_WINDOW_MS = 2 * 3600_000;
let t: TwinWithPayments;
/** The official client on the same twin, for checks the adapter does not expose. */
let raw: ReturnType<typeof createStripeClient>;

beforeAll(async () => {
  t = await twinWithPayments({ apiKey: 'sk_test_durafax', holdWindowMs: HOLD_WINDOW_MS });
  raw = createStripeClient({ secretKey: 'sk_test_durafax', webhookSecret: WEBHOOK_SECRET, apiBase: t.twin.url }, { maxNetworkRetries: 0 });
});
afterAll(async () => {
  await t.twin.stop();
});

async function failure(p: Promise<unknown>): Promise<PaymentError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof PaymentError) return err;
    throw err;
  }
  throw new Error('expected a PaymentError');
}

async function expectKind(p: Promise<unknown>, kind: PaymentErrorKind): Promise<PaymentError> {
  const err = await failure(p);
  expect(err.kind).toBe(kind);
  return err;
}

/** A fax with an open session, paid on the hosted page with `card`. */
async function paidFax(card = CARDS.visa): Promise<{ faxId: string; session: CheckoutSessionInfo; paymentIntentId: string }> {
  const faxId = randomUUID();
  const session = await t.payments.createCheckoutSession(checkoutRequest(faxId));
  const res = await new CheckoutBrowser().pay(session.url!, card);
  expect(res.status).toBe(303);
  const done = await t.payments.retrieveCheckoutSession(session.id);
  expect(done.status).toBe('complete');
  return { faxId, session: done, paymentIntentId: done.paymentIntentId! };
}

describe('checkout sessions', () => {
  test('carry the quote, the fax id, the locale and the payment window to Stripe', async () => {
    const faxId = randomUUID();
    const expiresAt = new Date(Date.now() + 45 * 60_000);
    const info = await t.payments.createCheckoutSession(checkoutRequest(faxId, { amount: 336, locale: 'de', expiresAt, customerEmail: 'sender@example.com' }));
    expect(info.id).toMatch(/^cs_test_/);
    expect(info.url).toBe(`${t.twin.url}/c/pay/${info.id}`);
    expect(info).toMatchObject({ status: 'open', amount: 336, currency: 'eur', faxId, paymentIntentId: null });
    expect(info.expiresAt.getTime()).toBe(Math.floor(expiresAt.getTime() / 1000) * 1000);

    const session = await raw.checkout.sessions.retrieve(info.id);
    expect(session).toMatchObject({
      object: 'checkout.session',
      mode: 'payment',
      locale: 'de',
      client_reference_id: faxId,
      metadata: { fax_id: faxId },
      customer_email: 'sender@example.com',
      success_url: `http://127.0.0.1:9/checkout/${faxId}/success?session_id={CHECKOUT_SESSION_ID}`,
      cancel_url: `http://127.0.0.1:9/checkout/${faxId}/cancel`,
      livemode: false,
    });
    expect(await t.payments.retrieveCheckoutSession(info.id)).toEqual(info);
  });

  test('are created once per fax: a retry replays the same session', async () => {
    const req = checkoutRequest(randomUUID());
    const first = await t.payments.createCheckoutSession(req);
    const again = await t.payments.createCheckoutSession(req);
    expect(again.id).toBe(first.id);
    const replay = await raw.checkout.sessions.create(
      {
        mode: 'payment',
        line_items: [{ quantity: 1, price_data: { currency: 'eur', unit_amount: 500, product_data: { name: 'x' } } }],
        success_url: 'http://127.0.0.1:9/ok',
      },
      { idempotencyKey: `replay-${req.faxId}` },
    );
    const replayed = await raw.checkout.sessions.create(
      {
        mode: 'payment',
        line_items: [{ quantity: 1, price_data: { currency: 'eur', unit_amount: 500, product_data: { name: 'x' } } }],
        success_url: 'http://127.0.0.1:9/ok',
      },
      { idempotencyKey: `replay-${req.faxId}` },
    );
    expect(replayed.id).toBe(replay.id);
    expect(replay.lastResponse.headers['idempotent-replayed']).toBeUndefined();
    expect(replayed.lastResponse.headers['idempotent-replayed']).toBe('true');
  });

  test('a changed quote under the same fax key is an idempotency conflict', async () => {
    const req = checkoutRequest(randomUUID());
    await t.payments.createCheckoutSession(req);
    const err = await expectKind(t.payments.createCheckoutSession({ ...req, amount: req.amount + 79 }), 'idempotency_conflict');
    expect(err.retryable).toBe(false);
  });

  test('refuses a quote that is not a positive amount in a real currency before calling Stripe', async () => {
    await expectKind(t.payments.createCheckoutSession(checkoutRequest(randomUUID(), { amount: 0 })), 'invalid_request');
    await expectKind(t.payments.createCheckoutSession(checkoutRequest(randomUUID(), { currency: 'euro' })), 'invalid_request');
  });

  test('a window Stripe refuses falls back to Stripe’s default expiry (the workflow closes the session itself)', async () => {
    const info = await t.payments.createCheckoutSession(checkoutRequest(randomUUID(), { expiresAt: new Date(Date.now() + 48 * 3600_000) }));
    expect(info.status).toBe('open');
    expect(Math.abs(info.expiresAt.getTime() - (Date.now() + 24 * 3600_000))).toBeLessThan(10_000);
  });

  test('expire closes an open session, and answers with the state of one already closed', async () => {
    const faxId = randomUUID();
    const open = await t.payments.createCheckoutSession(checkoutRequest(faxId));
    expect((await t.payments.expireCheckoutSession(faxId, open.id)).status).toBe('expired');
    expect((await t.payments.expireCheckoutSession(faxId, open.id)).status).toBe('expired');
    const page = await new CheckoutBrowser().get(`${t.twin.url}/c/pay/${open.id}`);
    expect(page.html).toContain('data-state="expired"');
    expect(page.html).not.toContain('<form');

    const paid = await paidFax();
    const after = await t.payments.expireCheckoutSession(paid.faxId, paid.session.id);
    expect(after).toMatchObject({ status: 'complete', paymentIntentId: paid.paymentIntentId });
  });

  test('a session past its expires_at is expired, with a checkout.session.expired event', async () => {
    const twin = await twinWithPayments();
    try {
      const faxId = randomUUID();
      const info = await twin.payments.createCheckoutSession(checkoutRequest(faxId, { expiresAt: new Date(Date.now() + 31 * 60_000) }));
      await twin.twin.advanceClock(32 * 60_000);
      expect(await twin.twin.sweep()).toBe(1);
      expect((await twin.payments.retrieveCheckoutSession(info.id)).status).toBe('expired');
      const events = twin.twin.events('checkout.session.expired');
      expect(events.map((e) => e.data.object.id)).toEqual([info.id]);
    } finally {
      await twin.twin.stop();
    }
  });

  test('unknown sessions and payment intents are not_found', async () => {
    await expectKind(t.payments.retrieveCheckoutSession('cs_test_doesnotexist'), 'not_found');
    const err = await expectKind(t.payments.retrievePaymentIntent('pi_doesnotexist'), 'not_found');
    expect(err.providerCode).toBe('resource_missing');
  });
});

describe('holds', () => {
  test('a paid session leaves a manual-capture hold for the quote, with its deadline', async () => {
    const before = Date.now();
    const { faxId, paymentIntentId } = await paidFax();
    const pi = await t.payments.retrievePaymentIntent(paymentIntentId);
    expect(pi).toMatchObject({ status: 'requires_capture', amount: 257, amountCapturable: 257, amountReceived: 0, currency: 'eur', faxId });
    expect(pi.latestChargeId).toMatch(/^ch_/);
    expect(pi.captureBefore!.getTime()).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000 + HOLD_WINDOW_MS);
    expect(pi.captureBefore!.getTime()).toBeLessThanOrEqual(Date.now() + HOLD_WINDOW_MS + 1000);
    const intent = await raw.paymentIntents.retrieve(paymentIntentId);
    expect(intent).toMatchObject({ capture_method: 'manual', metadata: { fax_id: faxId } });
  });

  test('capture takes the money once; repeating it (same key or after the key expired) is success', async () => {
    const { faxId, paymentIntentId } = await paidFax();
    const captured = await t.payments.capture(faxId, paymentIntentId);
    expect(captured).toMatchObject({ status: 'succeeded', amountReceived: 257, amountCapturable: 0 });
    expect(await t.payments.capture(faxId, paymentIntentId)).toMatchObject({ status: 'succeeded', amountReceived: 257 });
    // A key Stripe has forgotten: Stripe answers payment_intent_unexpected_state, the state says done.
    const other = createPayments({ secretKey: 'sk_test_durafax', webhookSecret: WEBHOOK_SECRET, apiBase: t.twin.url });
    expect(await other.capture(randomUUID(), paymentIntentId)).toMatchObject({ status: 'succeeded' });
    expect(t.twin.events('charge.captured').filter((e) => (e.data.object as { payment_intent?: string }).payment_intent === paymentIntentId)).toHaveLength(1);
    await expectKind(t.payments.cancel(faxId, paymentIntentId), 'already_captured');
  });

  test('release cancels the hold; repeating it is success; capture and refund then fail clearly', async () => {
    const { faxId, paymentIntentId } = await paidFax();
    const released = await t.payments.cancel(faxId, paymentIntentId);
    expect(released).toMatchObject({ status: 'canceled', amountCapturable: 0, amountRefunded: 257 });
    expect(await t.payments.cancel(faxId, paymentIntentId)).toMatchObject({ status: 'canceled' });
    expect(await t.payments.cancel(faxId, paymentIntentId, { stray: true, reason: 'abandoned' })).toMatchObject({ status: 'canceled' });
    await expectKind(t.payments.capture(faxId, paymentIntentId), 'already_cancelled');
    await expectKind(t.payments.refund(faxId, paymentIntentId), 'already_cancelled');
  });

  test('a stray hold is released under its own key, leaving the fax’s own release key free', async () => {
    const a = await paidFax();
    const b = await paidFax();
    await t.payments.cancel(a.faxId, b.paymentIntentId, { stray: true, reason: 'duplicate' });
    expect(await t.payments.cancel(a.faxId, a.paymentIntentId)).toMatchObject({ status: 'canceled' });
    const intent = await raw.paymentIntents.retrieve(b.paymentIntentId);
    expect(intent.cancellation_reason).toBe('duplicate');
  });

  test('a stray hold released by the web with a reason, then by the workflow without one, is released once and both succeed', async () => {
    const a = await paidFax();
    const b = await paidFax();
    // The web released it as it came in (the fax had expired); the workflow's own release follows.
    expect(await t.payments.cancel(a.faxId, b.paymentIntentId, { stray: true, reason: 'abandoned' })).toMatchObject({ status: 'canceled' });
    expect(await t.payments.cancel(a.faxId, b.paymentIntentId, { stray: true })).toMatchObject({ status: 'canceled' });
    expect((await raw.paymentIntents.retrieve(b.paymentIntentId)).cancellation_reason).toBe('abandoned');
    expect(t.twin.events('payment_intent.canceled').filter((e) => (e.data.object as { id?: string }).id === b.paymentIntentId)).toHaveLength(1);
  });

  test('the same step key on another payment intent is an idempotency conflict', async () => {
    const a = await paidFax();
    const b = await paidFax();
    await t.payments.capture(a.faxId, a.paymentIntentId);
    await expectKind(t.payments.capture(a.faxId, b.paymentIntentId), 'idempotency_conflict');
  });

  test('past capture_before the capture fails with hold_expired, and the hold is gone', async () => {
    const twin = await twinWithPayments({ holdWindowMs: 60_000, sweepIntervalMs: 3600_000 });
    try {
      const faxId = randomUUID();
      const session = await twin.payments.createCheckoutSession(checkoutRequest(faxId));
      await new CheckoutBrowser().pay(session.url!, CARDS.visa);
      const piId = (await twin.payments.retrieveCheckoutSession(session.id)).paymentIntentId!;
      await twin.twin.advanceClock(61_000);
      const first = await expectKind(twin.payments.capture(faxId, piId), 'hold_expired');
      expect(first.providerCode).toBe('charge_expired_for_capture');
      // Stripe has cancelled it by now (cancellation_reason automatic): still hold_expired.
      await expectKind(createPayments({ secretKey: 'sk_test_x', webhookSecret: WEBHOOK_SECRET, apiBase: twin.twin.url }).capture(randomUUID(), piId), 'hold_expired');
      expect(await twin.payments.retrievePaymentIntent(piId)).toMatchObject({ status: 'canceled', cancellationReason: 'automatic' });
      expect(twin.twin.events('charge.expired')).toHaveLength(1);
    } finally {
      await twin.twin.stop();
    }
  });

  test('the background sweep cancels a lapsed hold like Stripe does', async () => {
    const twin = await twinWithPayments({ holdWindowMs: 60_000, sweepIntervalMs: 3600_000 });
    try {
      const faxId = randomUUID();
      const session = await twin.payments.createCheckoutSession(checkoutRequest(faxId));
      await new CheckoutBrowser().pay(session.url!, CARDS.visa);
      const piId = (await twin.payments.retrieveCheckoutSession(session.id)).paymentIntentId!;
      await twin.twin.advanceClock(59_000);
      expect(await twin.twin.sweep()).toBe(0);
      await twin.twin.advanceClock(2_000);
      expect(await twin.twin.sweep()).toBe(1);
      expect(await twin.payments.retrievePaymentIntent(piId)).toMatchObject({ status: 'canceled', cancellationReason: 'automatic' });
      expect(twin.twin.events('payment_intent.canceled').map((e) => e.data.object.id)).toEqual([piId]);
    } finally {
      await twin.twin.stop();
    }
  });
});

describe('refunds', () => {
  test('refund a captured payment in full, once', async () => {
    const { faxId, paymentIntentId } = await paidFax();
    // Under a key of its own: Stripe stores an error under the key it was sent with.
    await expectKind(t.payments.refund(randomUUID(), paymentIntentId), 'invalid_request');
    await t.payments.capture(faxId, paymentIntentId);
    const refund = await t.payments.refund(faxId, paymentIntentId);
    expect(refund).toMatchObject({ status: 'succeeded', amount: 257 });
    expect(refund.id).toMatch(/^re_/);
    expect(await t.payments.refund(faxId, paymentIntentId)).toEqual(refund);
    // Refunded already under another key (e.g. by support): the existing refund is the answer.
    const other = createPayments({ secretKey: 'sk_test_durafax', webhookSecret: WEBHOOK_SECRET, apiBase: t.twin.url });
    expect(await other.refund(randomUUID(), paymentIntentId)).toEqual(refund);
    expect((await t.payments.retrievePaymentIntent(paymentIntentId)).amountRefunded).toBe(257);
    const charge = await raw.charges.retrieve((await t.payments.retrievePaymentIntent(paymentIntentId)).latestChargeId!);
    expect(charge).toMatchObject({ refunded: true, amount_refunded: 257, captured: true });
  });

  test('a refund to the failing-refund card turns failed later, with refund.failed', async () => {
    const { faxId, paymentIntentId } = await paidFax(CARDS.refundFails);
    await t.payments.capture(faxId, paymentIntentId);
    const refund = await t.payments.refund(faxId, paymentIntentId);
    expect(refund.status).toBe('succeeded');
    await t.twin.sweep();
    const after = await raw.refunds.retrieve(refund.id);
    expect(after).toMatchObject({ status: 'failed', failure_reason: 'expired_or_canceled_card' });
    expect(t.twin.events('refund.failed').map((e) => e.data.object.id)).toContain(refund.id);
    expect((await t.payments.retrievePaymentIntent(paymentIntentId)).amountRefunded).toBe(0);
  });
});

describe('error mapping', () => {
  test('a card error is declined, with the decline code', async () => {
    const { faxId, paymentIntentId } = await paidFax();
    t.twin.injectFault({ path: `/v1/payment_intents/${paymentIntentId}/capture`, status: 402, type: 'card_error', code: 'card_declined' });
    const err = await expectKind(t.payments.capture(faxId, paymentIntentId), 'declined');
    expect(err.providerCode).toBe('card_declined');
  });

  test('rate limits and server errors are transient; a lock timeout Stripe asks to retry succeeds on the library’s retry', async () => {
    const { faxId, paymentIntentId } = await paidFax();
    const path = `/v1/payment_intents/${paymentIntentId}/capture`;
    t.twin.injectFault({ path, status: 429, code: 'rate_limit' });
    expect((await expectKind(t.payments.capture(faxId, paymentIntentId), 'transient')).retryable).toBe(true);
    t.twin.injectFault({ path, status: 500, times: 2 });
    await expectKind(t.payments.capture(faxId, paymentIntentId), 'transient');
    t.twin.injectFault({ path, status: 429, code: 'lock_timeout', shouldRetry: true });
    expect(await t.payments.capture(faxId, paymentIntentId)).toMatchObject({ status: 'succeeded' });
  });

  test('a refused key is authentication; an unreachable Stripe is transient', async () => {
    const wrongKey = createPayments({ secretKey: 'sk_test_wrong', webhookSecret: WEBHOOK_SECRET, apiBase: t.twin.url }, { maxNetworkRetries: 0 });
    await expectKind(wrongKey.retrievePaymentIntent('pi_x'), 'authentication');
    const port = await freePort();
    const nowhere = createPayments({ secretKey: 'sk_test_durafax', webhookSecret: WEBHOOK_SECRET, apiBase: `http://127.0.0.1:${port}` }, { maxNetworkRetries: 0, timeoutMs: 2000 });
    const err = await expectKind(nowhere.createCheckoutSession(checkoutRequest(randomUUID())), 'transient');
    expect(err.retryable).toBe(true);
  });

  test('Stripe’s own error body reaches the library intact', async () => {
    const err: unknown = await raw.checkout.sessions.create({ mode: 'payment', success_url: 'http://127.0.0.1:9/ok' }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ type: 'StripeInvalidRequestError', code: 'parameter_missing', param: 'line_items', statusCode: 400 });
    const notFound: unknown = await raw.paymentIntents.capture('pi_nothere').then(
      () => null,
      (e: unknown) => e,
    );
    expect(notFound).toMatchObject({ code: 'resource_missing', statusCode: 404, message: "No such payment_intent: 'pi_nothere'" });
  });
});
