/**
 * Objects shaped as the sandboxes keep them, for the benches (`twins.ts`, `twins-memory.ts`):
 * per payment a Checkout Session, its PaymentIntent, its charge and five events; per fax the
 * carrier twin's record. Journal keys as the twins write them.
 */
import type { TwinFax } from '../src/twins/carrier/fax-store';
import type { ChargeJson, CheckoutSessionJson, EventJson, PaymentIntentJson, SessionRecord, StripeObjectJson } from '../src/twins/stripe/model';

export const t0 = 1_796_000_000;
export const pad = (i: number, width = 24): string => String(i).padStart(width, '0');

export function session(i: number): SessionRecord {
  const id = `cs_test_${pad(i, 58)}`;
  const json: CheckoutSessionJson = {
    id,
    object: 'checkout.session',
    amount_subtotal: 257,
    amount_total: 257,
    cancel_url: `http://localhost:3000/checkout/${pad(i, 36)}/cancel`,
    client_reference_id: pad(i, 36),
    created: t0 + i,
    currency: 'eur',
    customer: null,
    customer_details: { email: null },
    customer_email: null,
    expires_at: t0 + i + 3600,
    livemode: false,
    locale: 'en',
    metadata: { fax_id: pad(i, 36) },
    mode: 'payment',
    payment_intent: `pi_${pad(i)}`,
    payment_method_types: ['card'],
    payment_status: 'unpaid',
    status: 'complete',
    success_url: `http://localhost:3000/checkout/${pad(i, 36)}/success?session_id={CHECKOUT_SESSION_ID}`,
    url: null,
  };
  return {
    json,
    lineItems: [{ name: 'Fax to +49 30 1234 5678, 2 pages', description: null, unit_amount: 257, currency: 'eur', quantity: 1 }],
    paymentIntentData: { metadata: { fax_id: pad(i, 36) }, description: null, captureMethod: 'manual' },
    pendingCard: null,
  };
}

export function intent(i: number): PaymentIntentJson {
  const id = `pi_${pad(i)}`;
  return {
    id,
    object: 'payment_intent',
    amount: 257,
    amount_capturable: 257,
    amount_received: 0,
    canceled_at: null,
    cancellation_reason: null,
    capture_method: 'manual',
    client_secret: `${id}_secret_${pad(i)}`,
    confirmation_method: 'automatic',
    created: t0 + i,
    currency: 'eur',
    description: null,
    last_payment_error: null,
    latest_charge: `ch_${pad(i)}`,
    livemode: false,
    metadata: { fax_id: pad(i, 36) },
    next_action: null,
    payment_method: `pm_${pad(i)}`,
    payment_method_types: ['card'],
    status: 'requires_capture',
  };
}

export function charge(i: number): ChargeJson {
  return {
    id: `ch_${pad(i)}`,
    object: 'charge',
    amount: 257,
    amount_captured: 0,
    amount_refunded: 0,
    captured: false,
    created: t0 + i,
    currency: 'eur',
    description: null,
    failure_code: null,
    failure_message: null,
    livemode: false,
    metadata: {},
    outcome: { network_status: 'approved_by_network', reason: null, risk_level: 'normal', seller_message: 'Payment complete.', type: 'authorized' },
    paid: true,
    payment_intent: `pi_${pad(i)}`,
    payment_method: `pm_${pad(i)}`,
    payment_method_details: {
      type: 'card',
      card: { brand: 'visa', last4: '4242', exp_month: 12, exp_year: 2034, funding: 'credit', country: 'US', capture_before: t0 + i + 604_800 },
    },
    refunded: false,
    status: 'succeeded',
  };
}

export function event(i: number, k: number, type: string, object: StripeObjectJson): EventJson {
  return {
    id: `evt_${pad(i * 8 + k)}`,
    object: 'event',
    api_version: '2025-01-27.acacia',
    created: t0 + i,
    data: { object: structuredClone(object) },
    livemode: false,
    pending_webhooks: 0,
    request: { id: null, idempotency_key: null },
    type,
  };
}

/** The Stripe twin's state with `n` objects (besides its four fields), as journal keys and values. */
export function stripeEntries(n: number): Map<string, unknown> {
  const entries = new Map<string, unknown>([
    ['secret', pad(0, 64)],
    ['clockOffsetMs', 0],
    ['refundFailingCharges', []],
    ['failingRefunds', []],
  ]);
  // Eight objects per payment: the session, the intent, the charge and five events.
  for (let i = 0; entries.size - 4 < n; i++) {
    const s = session(i);
    const pi = intent(i);
    const ch = charge(i);
    const add = (key: string, value: unknown): void => {
      if (entries.size - 4 < n) entries.set(key, value);
    };
    add(`sessions/${s.json.id}`, s);
    add(`intents/${pi.id}`, pi);
    add(`charges/${ch.id}`, ch);
    const events: Array<[string, StripeObjectJson]> = [
      ['payment_intent.created', pi],
      ['charge.succeeded', ch],
      ['payment_intent.amount_capturable_updated', pi],
      ['checkout.session.completed', s.json],
      ['charge.captured', ch],
    ];
    events.forEach(([type, obj], k) => {
      const e = event(i, k, type, obj);
      add(`events/${e.id}`, e);
    });
  }
  return entries;
}

export function fax(i: number): TwinFax {
  const created = new Date((t0 + i) * 1000).toISOString();
  return {
    id: `${pad(i, 8)}-0000-4000-8000-000000000000`,
    connection_id: 'sandbox-connection',
    from: '+15005550006',
    to: '+493012345678',
    media_url: `http://localhost:3000/media/${pad(i, 36)}.pdf?expires=1796003600&sig=${pad(i, 64)}`,
    client_state: Buffer.from(JSON.stringify({ faxId: pad(i, 36), attempt: 1 })).toString('base64'),
    webhook_url: null,
    status: 'delivered',
    failure_reason: null,
    page_count: 2,
    call_duration_secs: 74,
    created_at: created,
    updated_at: created,
    fax_key: pad(i, 36),
    attempt: 1,
    document_pages: 2,
    dialed: true,
  };
}

/** The carrier twin's state with `n` faxes, as journal keys and values. */
export function carrierEntries(n: number): Map<string, unknown> {
  const entries = new Map<string, unknown>();
  for (let i = 0; i < n; i++) {
    const f = fax(i);
    entries.set(f.id, f);
  }
  return entries;
}
