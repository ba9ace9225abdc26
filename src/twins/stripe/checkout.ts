import type { RequestRef, TwinContext } from './context';
import { invalidParam, invalidRequest, missingParam, noSuchResource } from './errors';
import type { Params } from './form';
import { abandon, getIntent } from './intents';
import type { CheckoutSessionJson, LineItem, SessionRecord } from './model';
import { newId } from './store';

const MAX_LIFETIME_S = 24 * 60 * 60;
/** Stripe's minimum charge is about 50 cents in most currencies. */
const MIN_AMOUNT = 50;
const LOCALES = [
  'auto',
  'bg',
  'cs',
  'da',
  'de',
  'el',
  'en',
  'en-GB',
  'es',
  'es-419',
  'et',
  'fi',
  'fil',
  'fr',
  'fr-CA',
  'hr',
  'hu',
  'id',
  'it',
  'ja',
  'ko',
  'lt',
  'lv',
  'ms',
  'mt',
  'nb',
  'nl',
  'pl',
  'pt',
  'pt-BR',
  'ro',
  'ru',
  'sk',
  'sl',
  'sv',
  'th',
  'tr',
  'vi',
  'zh',
  'zh-HK',
  'zh-TW',
];

function validUrl(param: string, value: string): string {
  try {
    const u = new URL(value);
    if (u.protocol === 'http:' || u.protocol === 'https:') return value;
  } catch {
    // falls through to the error below
  }
  throw invalidParam(param, 'Not a valid URL', 'url_invalid');
}

function lineItems(p: Params): LineItem[] {
  const items = p.array('line_items');
  if (items.length === 0) throw missingParam('line_items');
  return items.map((item, i) => {
    item.only('price_data', 'quantity', 'price');
    if (item.has('price')) throw invalidParam(`line_items[${i}][price]`, 'This sandbox supports price_data only, not saved prices.');
    const pd = item.object('price_data');
    if (!pd) throw missingParam(`line_items[${i}][price_data]`);
    pd.only('currency', 'unit_amount', 'product_data');
    const product = pd.object('product_data');
    if (!product) throw missingParam(`line_items[${i}][price_data][product_data]`);
    product.only('name', 'description');
    const unitAmount = pd.requiredInteger('unit_amount');
    const quantity = item.requiredInteger('quantity');
    if (unitAmount < 0) throw invalidParam(`line_items[${i}][price_data][unit_amount]`, 'This value must be greater than or equal to 0.');
    if (quantity < 1) throw invalidParam(`line_items[${i}][quantity]`, 'This value must be greater than or equal to 1.');
    const currency = pd.requiredString('currency').toLowerCase();
    if (!/^[a-z]{3}$/.test(currency)) throw invalidParam(`line_items[${i}][price_data][currency]`, `Invalid currency: ${currency}`);
    return { name: product.requiredString('name'), description: product.string('description') ?? null, unit_amount: unitAmount, currency, quantity };
  });
}

export function createSession(ctx: TwinContext, p: Params): CheckoutSessionJson {
  p.only(
    'mode',
    'line_items',
    'payment_intent_data',
    'metadata',
    'success_url',
    'cancel_url',
    'locale',
    'expires_at',
    'client_reference_id',
    'customer_email',
    'payment_method_types',
    'expand',
  );
  const mode = p.string('mode');
  if (!mode) throw missingParam('mode');
  if (mode !== 'payment') throw invalidParam('mode', 'This sandbox supports mode=payment only.');
  const successUrl = validUrl('success_url', p.requiredString('success_url'));
  const cancelUrl = p.has('cancel_url') ? validUrl('cancel_url', p.requiredString('cancel_url')) : null;
  const items = lineItems(p);
  const currency = items[0].currency;
  if (items.some((i) => i.currency !== currency)) throw invalidParam('line_items', 'All line items must use the same currency.');
  const total = items.reduce((sum, i) => sum + i.unit_amount * i.quantity, 0);
  if (total < MIN_AMOUNT) throw invalidRequest('amount_too_small', `The Checkout Session's total amount due must add up to at least ${MIN_AMOUNT} in minor units.`);
  const now = ctx.store.seconds();
  const expiresAt = p.integer('expires_at') ?? now + MAX_LIFETIME_S;
  if (expiresAt <= now) throw invalidParam('expires_at', 'The `expires_at` timestamp must be in the future.');
  if (expiresAt > now + MAX_LIFETIME_S) throw invalidParam('expires_at', 'The `expires_at` timestamp must be less than 24 hours from Checkout Session creation.');
  const locale = p.string('locale') ?? null;
  if (locale !== null && !LOCALES.includes(locale)) throw invalidParam('locale', `Invalid locale: ${locale}`);
  const types = p.stringArray('payment_method_types');
  if (types.some((t) => t !== 'card')) throw invalidParam('payment_method_types', 'This sandbox supports card payments only.');
  const clientReferenceId = p.string('client_reference_id') ?? null;
  if (clientReferenceId !== null && clientReferenceId.length > 200) throw invalidParam('client_reference_id', 'client_reference_id can be at most 200 characters.');
  const customerEmail = p.string('customer_email') ?? null;
  if (customerEmail !== null && !/^[^@\s]+@[^@\s]+$/.test(customerEmail)) throw invalidParam('customer_email', 'Invalid email address: customer_email', 'email_invalid');

  const pid = p.object('payment_intent_data');
  pid?.only('capture_method', 'metadata', 'description');
  const captureMethod = pid?.string('capture_method') ?? 'automatic';
  if (captureMethod !== 'automatic' && captureMethod !== 'manual') throw invalidParam('payment_intent_data[capture_method]', `Invalid capture_method: ${captureMethod}`);

  const id = newId('cs_test', 58);
  const json: CheckoutSessionJson = {
    id,
    object: 'checkout.session',
    amount_subtotal: total,
    amount_total: total,
    cancel_url: cancelUrl,
    client_reference_id: clientReferenceId,
    created: now,
    currency,
    customer: null,
    customer_details: null,
    customer_email: customerEmail,
    expires_at: expiresAt,
    livemode: false,
    locale,
    metadata: p.metadata(),
    mode: 'payment',
    payment_intent: null,
    payment_method_types: ['card'],
    payment_status: 'unpaid',
    status: 'open',
    success_url: successUrl,
    url: `${ctx.opts.baseUrl}/c/pay/${id}`,
  };
  ctx.state.sessions.set(id, {
    json,
    lineItems: items,
    paymentIntentData: { metadata: pid?.metadata() ?? {}, description: pid?.string('description') ?? null, captureMethod },
    pendingCard: null,
  });
  ctx.store.changed('sessions', id);
  return json;
}

/** Expires an open session: no more payment attempts; its unfinished intent is cancelled. */
function expire(ctx: TwinContext, rec: SessionRecord, req: RequestRef): void {
  ctx.store.changed('sessions', rec.json.id);
  rec.json.status = 'expired';
  rec.json.url = null;
  rec.pendingCard = null;
  if (rec.json.payment_intent) abandon(ctx, getIntent(ctx, rec.json.payment_intent), req);
  ctx.emit('checkout.session.expired', rec.json, req);
}

/** Applies a passed `expires_at`; true when the session expired just now. */
export function expireSessionIfDue(ctx: TwinContext, rec: SessionRecord, req: RequestRef): boolean {
  if (rec.json.status !== 'open' || ctx.store.seconds() < rec.json.expires_at) return false;
  expire(ctx, rec, req);
  return true;
}

export function getSession(ctx: TwinContext, id: string): SessionRecord {
  const rec = ctx.state.sessions.get(id);
  if (!rec) throw noSuchResource('checkout.session', id, 'session');
  return rec;
}

export function expireSession(ctx: TwinContext, id: string, req: RequestRef): CheckoutSessionJson {
  const rec = getSession(ctx, id);
  expireSessionIfDue(ctx, rec, req);
  if (rec.json.status !== 'open') {
    throw invalidRequest('checkout_session_not_open', `This Checkout Session has a status of ${rec.json.status}. Only Checkout Sessions with a status of open can be expired.`);
  }
  expire(ctx, rec, req);
  return rec.json;
}

export function completeSession(ctx: TwinContext, rec: SessionRecord, req: RequestRef): void {
  const pi = getIntent(ctx, rec.json.payment_intent ?? '');
  ctx.store.changed('sessions', rec.json.id);
  rec.json.status = 'complete';
  rec.json.url = null;
  rec.json.payment_status = pi.status === 'succeeded' ? 'paid' : 'unpaid';
  rec.json.customer_details = { email: rec.json.customer_email };
  rec.pendingCard = null;
  ctx.emit('checkout.session.completed', rec.json, req);
}
