/**
 * The twin's objects, stored in the shapes Stripe's API returns (snake_case, timestamps in
 * seconds, ids with Stripe's prefixes). Only the fields a Checkout + manual-capture
 * integration reads are modelled; the rest of Stripe's object is left out.
 */
import type { PageStore } from '../../engine/store/pages';
import { PagedMap } from '../paged-map';

type Metadata = Record<string, string>;

export interface StripeErrorSnapshot {
  type: 'card_error' | 'invalid_request_error';
  code: string;
  decline_code?: string;
  message: string;
  charge?: string;
}

export interface CheckoutSessionJson {
  id: string;
  object: 'checkout.session';
  amount_subtotal: number;
  amount_total: number;
  cancel_url: string | null;
  client_reference_id: string | null;
  created: number;
  currency: string;
  customer: null;
  customer_details: { email: string | null } | null;
  customer_email: string | null;
  expires_at: number;
  livemode: false;
  locale: string | null;
  metadata: Metadata;
  mode: 'payment';
  payment_intent: string | null;
  payment_method_types: string[];
  payment_status: 'paid' | 'unpaid';
  status: 'open' | 'complete' | 'expired';
  success_url: string;
  url: string | null;
}

export interface LineItem {
  name: string;
  description: string | null;
  unit_amount: number;
  currency: string;
  quantity: number;
}

/** The card waiting for its authentication step (3-D Secure) to finish. */
export interface PendingCard {
  paymentMethod: string;
  brand: string;
  last4: string;
  expMonth: number;
  expYear: number;
  refundFails: boolean;
}

export interface SessionRecord {
  json: CheckoutSessionJson;
  lineItems: LineItem[];
  paymentIntentData: { metadata: Metadata; description: string | null; captureMethod: 'automatic' | 'manual' };
  pendingCard: PendingCard | null;
}

type IntentStatus = 'requires_payment_method' | 'requires_confirmation' | 'requires_action' | 'processing' | 'requires_capture' | 'succeeded' | 'canceled';

export interface PaymentIntentJson {
  id: string;
  object: 'payment_intent';
  amount: number;
  amount_capturable: number;
  amount_received: number;
  canceled_at: number | null;
  cancellation_reason: string | null;
  capture_method: 'automatic' | 'manual';
  client_secret: string;
  confirmation_method: 'automatic';
  created: number;
  currency: string;
  description: string | null;
  last_payment_error: StripeErrorSnapshot | null;
  latest_charge: string | null;
  livemode: false;
  metadata: Metadata;
  next_action: { type: 'use_stripe_sdk'; use_stripe_sdk: { type: 'three_d_secure_redirect' } } | null;
  payment_method: string | null;
  payment_method_types: string[];
  status: IntentStatus;
}

interface CardDetails {
  brand: string;
  last4: string;
  exp_month: number;
  exp_year: number;
  funding: 'credit' | 'debit';
  country: string;
  capture_before?: number;
}

export interface ChargeJson {
  id: string;
  object: 'charge';
  amount: number;
  amount_captured: number;
  amount_refunded: number;
  captured: boolean;
  created: number;
  currency: string;
  description: string | null;
  failure_code: string | null;
  failure_message: string | null;
  livemode: false;
  metadata: Metadata;
  outcome: { network_status: string; reason: string | null; risk_level: string; seller_message: string; type: string };
  paid: boolean;
  payment_intent: string;
  payment_method: string;
  payment_method_details: { type: 'card'; card: CardDetails };
  refunded: boolean;
  status: 'succeeded' | 'pending' | 'failed';
}

export interface RefundJson {
  id: string;
  object: 'refund';
  amount: number;
  charge: string;
  created: number;
  currency: string;
  failure_reason?: string;
  metadata: Metadata;
  payment_intent: string;
  reason: string | null;
  status: 'pending' | 'requires_action' | 'succeeded' | 'failed' | 'canceled';
}

export type StripeObjectJson = CheckoutSessionJson | PaymentIntentJson | ChargeJson | RefundJson;

export interface EventJson {
  id: string;
  object: 'event';
  api_version: string;
  created: number;
  data: { object: StripeObjectJson; previous_attributes?: Record<string, unknown> };
  livemode: false;
  pending_webhooks: number;
  request: { id: string | null; idempotency_key: string | null };
  type: string;
}

/** One webhook event's delivery to the configured endpoint. */
export interface DeliveryRecord {
  eventId: string;
  attempts: number;
  /** Wall-clock milliseconds of the next attempt; null once delivered or given up. */
  nextAttemptAt: number | null;
  delivered: boolean;
  lastStatus: number | null;
}

export interface IdempotencyRecord {
  key: string;
  method: string;
  path: string;
  digest: string;
  status: number;
  /** The response body as JSON text (an object in journals of earlier versions). */
  body: unknown;
  headers: Record<string, string>;
  created: number;
}

/** The twin's objects by id, in creation order; settled ones are paged out once idle (`../paged-map.ts`). */
export interface TwinCollections {
  sessions: PagedMap<SessionRecord>;
  intents: PagedMap<PaymentIntentJson>;
  charges: PagedMap<ChargeJson>;
  refunds: PagedMap<RefundJson>;
  events: PagedMap<EventJson>;
  deliveries: PagedMap<DeliveryRecord>;
  idempotency: PagedMap<IdempotencyRecord>;
}

/** The twin's single values. */
export interface TwinFields {
  /** Signs the hosted page's CSRF tokens; kept so open pages survive a restart. */
  secret: string;
  /** Test-clock offset added to wall time for business deadlines (session and hold expiry). */
  clockOffsetMs: number;
  /** Charges made with the card whose refunds fail asynchronously (Stripe's 5126 test card). */
  refundFailingCharges: string[];
  /** Refunds that will turn `failed` at the next sweep. */
  failingRefunds: string[];
}

export type TwinState = TwinFields & TwinCollections;

/** Where a session or a hold may still change by itself (the sweep looks at these): they stay in memory. */
const OPEN_INTENT = new Set(['requires_payment_method', 'requires_confirmation', 'requires_action', 'processing', 'requires_capture']);

export function emptyState(secret: string, pages: PageStore | null): TwinState {
  return {
    secret,
    clockOffsetMs: 0,
    sessions: new PagedMap(pages, { pageable: (rec) => rec.json.status !== 'open' }),
    intents: new PagedMap(pages, { pageable: (pi) => !OPEN_INTENT.has(pi.status) }),
    charges: new PagedMap(pages),
    refunds: new PagedMap(pages),
    refundFailingCharges: [],
    failingRefunds: [],
    events: new PagedMap(pages),
    deliveries: new PagedMap(pages, { pageable: (d) => d.delivered || d.nextAttemptAt === null }),
    idempotency: new PagedMap(pages, { stamp: (rec) => rec.created }),
  };
}
