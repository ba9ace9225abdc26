import { randomUUID } from 'node:crypto';
import type Stripe from 'stripe';
import { createStripeClient } from '../../../src/payments/stripe-client';
import type { StripeTwin } from '../../../src/twins/stripe';
import { CARDS, CheckoutBrowser, checkoutRequest, csrfOf, formAction, pageError, twinWithPayments, WEBHOOK_SECRET, type TwinWithPayments } from '../../helpers/stripe';

let t: TwinWithPayments;
let twin: StripeTwin;
let raw: Stripe;

beforeAll(async () => {
  t = await twinWithPayments();
  twin = t.twin;
  raw = createStripeClient({ secretKey: 'sk_test_page', webhookSecret: WEBHOOK_SECRET, apiBase: twin.url }, { maxNetworkRetries: 0 });
});
afterAll(async () => {
  await twin.stop();
});

async function openSession(locale: 'en' | 'de' | 'fr' = 'en'): Promise<{ faxId: string; sessionId: string; url: string }> {
  const faxId = randomUUID();
  const s = await t.payments.createCheckoutSession(checkoutRequest(faxId, { locale }));
  return { faxId, sessionId: s.id, url: s.url! };
}

async function intentOf(sessionId: string): Promise<Stripe.PaymentIntent> {
  const session = await raw.checkout.sessions.retrieve(sessionId, { expand: ['payment_intent'] });
  return session.payment_intent as Stripe.PaymentIntent;
}

function eventTypesFor(paymentIntentId: string, sessionId: string): string[] {
  return twin
    .events()
    .filter((e) => e.data.object.id === paymentIntentId || e.data.object.id === sessionId || (e.data.object as { payment_intent?: string }).payment_intent === paymentIntentId)
    .map((e) => e.type);
}

describe('the hosted checkout page', () => {
  test('is plainly a sandbox, in the sender’s language, with the amount, description and test cards', async () => {
    const de = await openSession('de');
    const page = await new CheckoutBrowser().get(de.url);
    expect(page.status).toBe(200);
    expect(page.html).toContain('<html lang="de">');
    expect(page.html).toContain('Test-Kasse – ein lokaler Ersatz für Stripe. Es wird keine echte Karte belastet.');
    expect(page.html).toMatch(/2,57\s€ bezahlen/);
    expect(page.html).toContain('Fax to +49 30 1234 5678, 2 pages');
    expect(page.html).toContain('4000 0025 0000 3155');
    const fr = await new CheckoutBrowser().get((await openSession('fr')).url);
    expect(fr.html).toContain('<html lang="fr">');
    expect(fr.html).toMatch(/Payer 2,57\s€/);
    const en = await new CheckoutBrowser().get((await openSession('en')).url);
    expect(en.html).toContain('Pay €2.57');
    expect((await new CheckoutBrowser().get(`${twin.url}/c/pay/cs_test_unknown`)).status).toBe(404);
  });

  test('4242 4242 4242 4242 authorizes a hold, completes the session and redirects to the success URL', async () => {
    const { faxId, sessionId, url } = await openSession();
    const res = await new CheckoutBrowser().pay(url, CARDS.visa);
    expect(res.status).toBe(303);
    expect(res.location).toBe(`http://127.0.0.1:9/checkout/${faxId}/success?session_id=${sessionId}`);
    const session = await raw.checkout.sessions.retrieve(sessionId);
    expect(session).toMatchObject({ status: 'complete', payment_status: 'unpaid', url: null });
    const pi = await intentOf(sessionId);
    expect(pi).toMatchObject({ status: 'requires_capture', amount_capturable: 257, capture_method: 'manual', metadata: { fax_id: faxId } });
    expect(pi.id).toMatch(/^pi_/);
    expect(eventTypesFor(pi.id, sessionId)).toEqual(['payment_intent.created', 'charge.succeeded', 'payment_intent.amount_capturable_updated', 'checkout.session.completed']);
    const again = await new CheckoutBrowser().get(url);
    expect(again.html).toContain('data-state="complete"');
  });

  test('4000 0000 0000 0002 is declined (generic_decline); the session stays open and another card succeeds', async () => {
    const { sessionId, url } = await openSession();
    const browser = new CheckoutBrowser();
    const declined = await browser.pay(url, CARDS.declined);
    expect(declined.status).toBe(402);
    expect(pageError(declined.html)).toEqual({ code: 'generic_decline', message: 'Your card was declined. Please try another card.' });
    const pi = await intentOf(sessionId);
    expect(pi.status).toBe('requires_payment_method');
    expect(pi.last_payment_error).toMatchObject({ type: 'card_error', code: 'card_declined', decline_code: 'generic_decline' });
    expect((await raw.checkout.sessions.retrieve(sessionId)).status).toBe('open');
    expect((await browser.pay(url, CARDS.visa)).status).toBe(303);
    expect((await intentOf(sessionId)).status).toBe('requires_capture');
    expect(eventTypesFor(pi.id, sessionId)).toEqual([
      'payment_intent.created',
      'charge.failed',
      'payment_intent.payment_failed',
      'charge.succeeded',
      'payment_intent.amount_capturable_updated',
      'checkout.session.completed',
    ]);
  });

  test('4000 0000 0000 9995 has insufficient funds, shown in the sender’s language', async () => {
    const { sessionId, url } = await openSession('fr');
    const res = await new CheckoutBrowser('fr').pay(url, CARDS.insufficientFunds);
    expect(res.status).toBe(402);
    expect(pageError(res.html)).toEqual({ code: 'insufficient_funds', message: 'Le solde de votre carte est insuffisant. Veuillez essayer une autre carte.' });
    expect((await intentOf(sessionId)).last_payment_error).toMatchObject({ code: 'card_declined', decline_code: 'insufficient_funds' });
  });

  test('4000 0025 0000 3155 asks for authentication first; failing it lets the sender try again', async () => {
    const { sessionId, url } = await openSession();
    const browser = new CheckoutBrowser();
    const first = await browser.pay(url, CARDS.authenticate);
    expect(first).toMatchObject({ status: 303, location: `/c/pay/${sessionId}/authenticate` });
    expect((await intentOf(sessionId)).status).toBe('requires_action');
    const page = await browser.get(`${twin.url}${first.location!}`);
    expect(page.html).toContain('Complete authentication');
    expect(page.html).toContain('Fail authentication');
    const failed = await browser.authenticate(`${twin.url}${first.location!}`, 'fail');
    expect(failed.status).toBe(402);
    expect(pageError(failed.html)?.code).toBe('payment_intent_authentication_failure');
    expect(await intentOf(sessionId)).toMatchObject({ status: 'requires_payment_method', last_payment_error: { code: 'payment_intent_authentication_failure' } });

    const second = await browser.pay(url, CARDS.authenticate);
    const done = await browser.authenticate(`${twin.url}${second.location!}`, 'complete');
    expect(done.status).toBe(303);
    expect(done.location).toContain(`session_id=${sessionId}`);
    expect((await intentOf(sessionId)).status).toBe('requires_capture');
  });

  test('card input problems are caught on the page and change nothing', async () => {
    const { sessionId, url } = await openSession();
    const browser = new CheckoutBrowser();
    expect(pageError((await browser.pay(url, '4242 4242 4242 4241')).html)?.code).toBe('incorrect_number');
    expect(pageError((await browser.pay(url, CARDS.visa, '01 / 20')).html)?.code).toBe('invalid_expiry');
    expect(pageError((await browser.pay(url, CARDS.visa, '12 / 34', '12')).html)?.code).toBe('invalid_cvc');
    expect((await raw.checkout.sessions.retrieve(sessionId)).payment_intent).toBeNull();
    const live = await browser.pay(url, '4111 1111 1111 1111');
    expect(pageError(live.html)?.code).toBe('test_mode_live_card');
  });

  test('forms need their CSRF token and cookie', async () => {
    const { sessionId, url } = await openSession();
    const browser = new CheckoutBrowser();
    const page = await browser.get(url);
    const action = new URL(formAction(page.html), url).toString();
    const fields = { card_number: CARDS.visa, card_expiry: '12 / 34', card_cvc: '123' };
    expect((await browser.post(action, { ...fields, csrf: 'forged' })).status).toBe(403);
    expect((await new CheckoutBrowser().post(action, { ...fields, csrf: csrfOf(page.html) })).status).toBe(403);
    expect((await raw.checkout.sessions.retrieve(sessionId)).status).toBe('open');
    expect((await browser.post(action, { ...fields, csrf: csrfOf(page.html) })).status).toBe(303);
  });

  test('an expired session cannot be paid', async () => {
    const { sessionId, url } = await openSession();
    const browser = new CheckoutBrowser();
    const page = await browser.get(url);
    await t.payments.expireCheckoutSession(randomUUID(), sessionId);
    const res = await browser.post(new URL(formAction(page.html), url).toString(), { csrf: csrfOf(page.html), card_number: CARDS.visa, card_expiry: '12 / 34', card_cvc: '123' });
    expect(res.status).toBe(410);
    expect(res.html).toContain('This payment page has expired. Nothing was charged.');
    expect((await raw.checkout.sessions.retrieve(sessionId)).payment_intent).toBeNull();
  });
});
