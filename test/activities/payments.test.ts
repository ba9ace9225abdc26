import { createStripeClient } from '../../src/payments/stripe-client';
import { CARDS, CheckoutBrowser, twinWithPayments, WEBHOOK_SECRET } from '../helpers/stripe';
import { applicationFailure, insertFax, readFax, run, startHarness, type Harness } from './harness';
import type { FaxActivities } from '../../src/workflows/contract';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.stop();
});

/** Stripe refuses a checkout expiry under 30 minutes away: the fax's window is longer. */
const inWindow = (): number => Date.now() + 45 * 60_000;

async function quotedFax(): Promise<string> {
  const fax = await insertFax(h.db, { pages: 2, priceAmount: 257, currency: 'eur', paper: 'a4', email: 'sender@example.com' });
  return fax.id;
}

/** A fax whose checkout the sender paid on the hosted page with `card`. */
async function paidFax(card = CARDS.visa, activities: FaxActivities = h.activities): Promise<{ faxId: string; sessionId: string; paymentIntentId: string }> {
  const faxId = await quotedFax();
  const opened = await run(activities.openCheckout, faxId, inWindow());
  const fax = await readFax(h.db, faxId);
  const page = await new CheckoutBrowser().pay(fax.checkoutUrl!, card);
  if (card === CARDS.visa) expect(page.status).toBe(303);
  const session = await h.payments.retrieveCheckoutSession(opened.checkoutSessionId).catch(() => null);
  const paymentIntentId = session?.paymentIntentId ?? null;
  if (!paymentIntentId) throw new Error('the checkout has no payment intent');
  return { faxId, sessionId: opened.checkoutSessionId, paymentIntentId };
}

async function authorizedFax(): Promise<{ faxId: string; paymentIntentId: string }> {
  const paid = await paidFax();
  await run(h.activities.confirmPayment, paid.faxId, paid.paymentIntentId);
  return paid;
}

const captures = (paymentIntentId: string): number =>
  h.stripe.events('charge.captured').filter((e) => (e.data.object as { payment_intent?: string }).payment_intent === paymentIntentId).length;

describe('openCheckout', () => {
  test('opens a checkout for the quote; the fax awaits payment with the session, its URL and expiry; twice gives the same session', async () => {
    const faxId = await quotedFax();
    const expiresAt = inWindow();
    const opened = await run(h.activities.openCheckout, faxId, expiresAt);
    expect(opened.checkoutSessionId).toMatch(/^cs_test_/);
    expect(opened.expiresAt).toBe(Math.floor(expiresAt / 1000) * 1000);

    const fax = await readFax(h.db, faxId);
    expect(fax).toMatchObject({ status: 'awaiting_payment', checkoutSessionId: opened.checkoutSessionId, checkoutUrl: `${h.stripe.url}/c/pay/${opened.checkoutSessionId}` });
    expect(fax.paymentExpiresAt?.getTime()).toBe(opened.expiresAt);
    const session = await h.payments.retrieveCheckoutSession(opened.checkoutSessionId);
    expect(session).toMatchObject({ status: 'open', amount: 257, currency: 'eur', faxId });

    expect(await run(h.activities.openCheckout, faxId, expiresAt)).toEqual(opened);
    expect((await readFax(h.db, faxId)).checkoutSessionId).toBe(opened.checkoutSessionId);
  });

  test('asked again it answers the open checkout from the fax, URL included, without a second session; the fax keeps its own deadline', async () => {
    const faxId = await quotedFax();
    const payBy = inWindow();
    await run(h.activities.setStatus, faxId, { status: 'awaiting_payment', payBy });
    expect((await readFax(h.db, faxId)).paymentExpiresAt?.getTime()).toBe(payBy);
    let created = 0;
    const counting = Object.assign(Object.create(h.payments) as typeof h.payments, {
      createCheckoutSession: (req: Parameters<typeof h.payments.createCheckoutSession>[0]) => {
        created++;
        return h.payments.createCheckoutSession(req);
      },
    });
    const activities = h.activitiesWith({ payments: counting });
    const opened = await run(activities.openCheckout, faxId, payBy);
    expect(opened.url).toBe(`${h.stripe.url}/c/pay/${opened.checkoutSessionId}`);
    expect(await run(activities.openCheckout, faxId, payBy)).toEqual({ checkoutSessionId: opened.checkoutSessionId, url: opened.url, expiresAt: payBy });
    expect(created).toBe(1);
    expect((await readFax(h.db, faxId)).paymentExpiresAt?.getTime()).toBe(payBy);
  });

  test('a fax without a quote is a fault, not a checkout for nothing', async () => {
    const fax = await insertFax(h.db);
    await expect(run(h.activities.openCheckout, fax.id, inWindow())).rejects.toThrow(/no quote/);
    expect((await readFax(h.db, fax.id)).checkoutSessionId).toBeNull();
  });
});

describe('closeCheckout', () => {
  test('expires an open checkout so it cannot be paid any more; twice is harmless', async () => {
    const faxId = await quotedFax();
    const opened = await run(h.activities.openCheckout, faxId, inWindow());
    const url = (await readFax(h.db, faxId)).checkoutUrl!;
    expect(await run(h.activities.closeCheckout, faxId)).toEqual({ paymentIntentId: null });
    expect((await h.payments.retrieveCheckoutSession(opened.checkoutSessionId)).status).toBe('expired');
    expect((await readFax(h.db, faxId)).checkoutUrl).toBeNull();
    expect(await run(h.activities.closeCheckout, faxId)).toEqual({ paymentIntentId: null });

    const page = await new CheckoutBrowser().get(url);
    expect(page.html).toContain('data-state="expired"');
    expect(page.html).not.toContain('<form');
  });

  test('returns the payment of a checkout paid just before it closed', async () => {
    const { faxId, sessionId, paymentIntentId } = await paidFax();
    expect(await run(h.activities.closeCheckout, faxId)).toEqual({ paymentIntentId });
    expect((await h.payments.retrieveCheckoutSession(sessionId)).status).toBe('complete');
    expect((await readFax(h.db, faxId)).checkoutUrl).toBeNull();
  });

  test('a fax that never had a checkout has nothing to close', async () => {
    const faxId = await quotedFax();
    expect(await run(h.activities.closeCheckout, faxId)).toEqual({ paymentIntentId: null });
  });
});

describe('confirmPayment', () => {
  test('a hold for the quoted amount authorizes the fax, with the hold deadline; twice is harmless', async () => {
    const { faxId, paymentIntentId } = await paidFax();
    const pi = await h.payments.retrievePaymentIntent(paymentIntentId);
    expect(pi.status).toBe('requires_capture');

    const confirmed = await run(h.activities.confirmPayment, faxId, paymentIntentId);
    expect(confirmed.captureBefore).toBe(pi.captureBefore!.getTime());
    const fax = await readFax(h.db, faxId);
    expect(fax).toMatchObject({ status: 'queued', paymentState: 'authorized', paymentIntentId, checkoutUrl: null });
    expect(fax.holdExpiresAt?.getTime()).toBe(confirmed.captureBefore);
    expect(fax.paidAt).toBeInstanceOf(Date);

    expect(await run(h.activities.confirmPayment, faxId, paymentIntentId)).toEqual(confirmed);
    const again = await readFax(h.db, faxId);
    expect(again).toMatchObject({ status: 'queued', paymentState: 'authorized', paymentIntentId });
    expect(again.paidAt?.getTime()).toBe(fax.paidAt?.getTime());
  });

  test('a hold for another amount is payment_amount_mismatch, and nothing is recorded as paid', async () => {
    const { faxId, paymentIntentId } = await paidFax();
    await h.db.query('UPDATE fax SET price_amount = 336 WHERE id = $1', [faxId]);
    const failure = await applicationFailure(run(h.activities.confirmPayment, faxId, paymentIntentId));
    expect(failure).toMatchObject({ type: 'payment_amount_mismatch', nonRetryable: true });
    expect(await readFax(h.db, faxId)).toMatchObject({ paymentState: 'none', paymentIntentId: null, status: 'awaiting_payment' });
  });

  test('a hold made for another fax is payment_amount_mismatch', async () => {
    const other = await paidFax();
    const faxId = await quotedFax();
    const failure = await applicationFailure(run(h.activities.confirmPayment, faxId, other.paymentIntentId));
    expect(failure).toMatchObject({ type: 'payment_amount_mismatch', nonRetryable: true });
    expect((await readFax(h.db, faxId)).paymentState).toBe('none');
  });

  test('a payment that is not authorized (declined card, authentication pending) is payment_declined', async () => {
    for (const card of [CARDS.declined, CARDS.authenticate]) {
      const { faxId, paymentIntentId } = await paidFax(card);
      expect((await h.payments.retrievePaymentIntent(paymentIntentId)).status).not.toBe('requires_capture');
      const failure = await applicationFailure(run(h.activities.confirmPayment, faxId, paymentIntentId));
      expect(failure).toMatchObject({ type: 'payment_declined', nonRetryable: true });
      expect((await readFax(h.db, faxId)).paymentState).toBe('none');
    }
  });

  test('a released hold is hold_expired; an unknown payment is payment_error', async () => {
    const { faxId, paymentIntentId } = await paidFax();
    await h.payments.cancel(faxId, paymentIntentId);
    expect(await applicationFailure(run(h.activities.confirmPayment, faxId, paymentIntentId))).toMatchObject({ type: 'hold_expired', nonRetryable: true });
    expect(await applicationFailure(run(h.activities.confirmPayment, faxId, 'pi_doesnotexist'))).toMatchObject({ type: 'payment_error', nonRetryable: true });
  });
});

describe('capturePayment', () => {
  test('captures the hold once, even when called twice', async () => {
    const { faxId, paymentIntentId } = await authorizedFax();
    expect(await run(h.activities.capturePayment, faxId, paymentIntentId)).toEqual({ paymentState: 'captured', done: true });
    expect(await run(h.activities.capturePayment, faxId, paymentIntentId)).toEqual({ paymentState: 'captured', done: true });
    expect(captures(paymentIntentId)).toBe(1);
    expect(await h.payments.retrievePaymentIntent(paymentIntentId)).toMatchObject({ status: 'succeeded', amountReceived: 257 });
    expect(await readFax(h.db, faxId)).toMatchObject({ paymentState: 'captured', amountCaptured: 257 });
  });

  test('a hold that lapsed is released, not captured (done=false)', async () => {
    const short = await twinWithPayments({ holdWindowMs: 60_000, sweepIntervalMs: 3600_000 });
    try {
      const activities = h.activitiesWith({ payments: short.payments });
      const faxId = await quotedFax();
      const opened = await run(activities.openCheckout, faxId, inWindow());
      expect((await new CheckoutBrowser().pay(`${short.twin.url}/c/pay/${opened.checkoutSessionId}`, CARDS.visa)).status).toBe(303);
      const paymentIntentId = (await short.payments.retrieveCheckoutSession(opened.checkoutSessionId)).paymentIntentId!;
      await run(activities.confirmPayment, faxId, paymentIntentId);
      await short.twin.advanceClock(61_000);

      expect(await run(activities.capturePayment, faxId, paymentIntentId)).toEqual({ paymentState: 'released', done: false });
      expect(await run(activities.capturePayment, faxId, paymentIntentId)).toEqual({ paymentState: 'released', done: false });
      const fax = await readFax(h.db, faxId);
      expect(fax).toMatchObject({ paymentState: 'released', amountCaptured: 0 });
      expect(fax.failureDetail).toMatch(/hold_expired/);
      expect(short.twin.events('charge.captured')).toHaveLength(0);
    } finally {
      await short.twin.stop();
    }
  });
});

describe('releasePayment', () => {
  test('releases the hold; twice is harmless', async () => {
    const { faxId, paymentIntentId } = await authorizedFax();
    expect(await run(h.activities.releasePayment, faxId, paymentIntentId)).toEqual({ paymentState: 'released', done: true });
    expect(await run(h.activities.releasePayment, faxId, paymentIntentId)).toEqual({ paymentState: 'released', done: true });
    expect(await h.payments.retrievePaymentIntent(paymentIntentId)).toMatchObject({ status: 'canceled', amountReceived: 0 });
    expect(await readFax(h.db, faxId)).toMatchObject({ paymentState: 'released', amountCaptured: 0 });
  });

  test('after a capture (the hold guard captured early) it refunds instead', async () => {
    const { faxId, paymentIntentId } = await authorizedFax();
    await run(h.activities.capturePayment, faxId, paymentIntentId);
    expect(await run(h.activities.releasePayment, faxId, paymentIntentId)).toEqual({ paymentState: 'refunded', done: true });
    expect(await run(h.activities.releasePayment, faxId, paymentIntentId)).toEqual({ paymentState: 'refunded', done: true });
    expect((await h.payments.retrievePaymentIntent(paymentIntentId)).amountRefunded).toBe(257);
    expect(await readFax(h.db, faxId)).toMatchObject({ paymentState: 'refunded', amountCaptured: 257, amountRefunded: 257 });
  });

  test('a stray hold (a second payment for the same fax) is released on its own, leaving the fax’s payment state alone', async () => {
    const { faxId, paymentIntentId } = await authorizedFax();
    // A second checkout for the same fax, e.g. left open in another tab, paid after the first.
    const raw = createStripeClient({ secretKey: 'sk_test_durafax', webhookSecret: WEBHOOK_SECRET, apiBase: h.stripe.url }, { maxNetworkRetries: 0 });
    const second = await raw.checkout.sessions.create(
      {
        mode: 'payment',
        line_items: [{ quantity: 1, price_data: { currency: 'eur', unit_amount: 257, product_data: { name: 'Fax' } } }],
        payment_intent_data: { capture_method: 'manual', metadata: { fax_id: faxId } },
        metadata: { fax_id: faxId },
        success_url: 'http://127.0.0.1:9/ok',
      },
      { idempotencyKey: `${faxId}:second-tab` },
    );
    expect((await new CheckoutBrowser().pay(second.url!, CARDS.visa)).status).toBe(303);
    const stray = (await h.payments.retrieveCheckoutSession(second.id)).paymentIntentId!;

    // The workflow settles the fax's own hold first, then the strays.
    expect(await run(h.activities.releasePayment, faxId, paymentIntentId)).toEqual({ paymentState: 'released', done: true });
    expect(await run(h.activities.releasePayment, faxId, stray)).toEqual({ paymentState: 'released', done: true });
    expect((await h.payments.retrievePaymentIntent(stray)).status).toBe('canceled');
    expect((await h.payments.retrievePaymentIntent(paymentIntentId)).status).toBe('canceled');
    expect(await readFax(h.db, faxId)).toMatchObject({ paymentState: 'released', paymentIntentId });
  });
});

describe('refundPayment', () => {
  test('refunds a captured payment in full; twice is harmless and refunds once', async () => {
    const { faxId, paymentIntentId } = await authorizedFax();
    await run(h.activities.capturePayment, faxId, paymentIntentId);
    expect(await run(h.activities.refundPayment, faxId, paymentIntentId)).toEqual({ paymentState: 'refunded', done: true });
    expect(await run(h.activities.refundPayment, faxId, paymentIntentId)).toEqual({ paymentState: 'refunded', done: true });
    const refunds = h.stripe.events('refund.created').filter((e) => (e.data.object as { payment_intent?: string }).payment_intent === paymentIntentId);
    expect(refunds).toHaveLength(1);
    expect((await h.payments.retrievePaymentIntent(paymentIntentId)).amountRefunded).toBe(257);
    expect(await readFax(h.db, faxId)).toMatchObject({ paymentState: 'refunded', amountRefunded: 257 });
  });

  test('a hold that was never captured cannot be refunded: payment_error', async () => {
    const { faxId, paymentIntentId } = await authorizedFax();
    await run(h.activities.releasePayment, faxId, paymentIntentId);
    expect(await applicationFailure(run(h.activities.refundPayment, faxId, paymentIntentId))).toMatchObject({ type: 'payment_error', nonRetryable: true });
    expect((await readFax(h.db, faxId)).paymentState).toBe('released');
  });
});
