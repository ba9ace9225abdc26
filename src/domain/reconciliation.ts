import type { CarrierStatus } from '../carrier/types';
import type { PaymentIntentStatus } from '../payments/types';
import type { AttemptStatus, FaxStatus, PaymentState } from './status';

/**
 * The daily reconciliation's rules: a final fax as Durafax records it, compared with what
 * Stripe says of its payment and what the carrier says of each of its transmissions. Pure:
 * the activity reads the three sides and hands them here.
 */

/** Every kind of inconsistency, each with its own translated title and advice for support. */
export const FINDING_CODES = [
  'payment_not_found',
  'payment_other_fax',
  'delivered_not_captured',
  'delivered_not_charged',
  'captured_amount_differs',
  'charged_not_delivered',
  'hold_left_open',
  'refund_missing',
  'refund_unrecorded',
  'payment_state_differs',
  'carrier_fax_not_found',
  'carrier_delivered_failed_here',
  'carrier_still_open',
  'attempt_differs',
  'delivered_not_at_carrier',
] as const;
export type FindingCode = (typeof FINDING_CODES)[number];

export function isFindingCode(value: unknown): value is FindingCode {
  return typeof value === 'string' && (FINDING_CODES as readonly string[]).includes(value);
}

/** What Durafax records of the fax (and of the attempt, for a finding about one). Kept after the purge. */
export interface OurSide {
  status: FaxStatus;
  paymentState: PaymentState;
  price: number | null;
  currency: string | null;
  captured: number;
  refunded: number;
  purged: boolean;
  attempt?: { number: number; status: AttemptStatus; carrierStatus: string | null };
}

/** What Stripe says of the fax's payment intent. */
export interface StripeSide {
  party: 'stripe';
  paymentIntentId: string | null;
  /** False when Stripe does not know the id (or the fax records none). */
  found: boolean;
  status?: PaymentIntentStatus;
  amount?: number;
  received?: number;
  refunded?: number;
  currency?: string;
  /** The fax id in the intent's metadata. */
  faxId?: string | null;
}

/** What the carrier says of one transmission, or of the fax's transmissions together. */
export interface CarrierSide {
  party: 'carrier';
  carrierFaxId: string | null;
  found: boolean;
  attempt?: number;
  status?: CarrierStatus;
  failureReason?: string | null;
  /** For a finding about all transmissions: how many the carrier knows, and how many it delivered. */
  transmissions?: number;
  delivered?: number;
}

export interface Finding {
  faxId: string;
  code: FindingCode;
  /** The attempt a carrier finding is about; 0 for the fax as a whole. */
  attempt: number;
  ours: OurSide;
  theirs: StripeSide | CarrierSide;
}

/** The payment intent as the activity read it; `null` when Stripe does not know it. */
export interface IntentFacts {
  id: string;
  status: PaymentIntentStatus;
  amount: number;
  amountReceived: number;
  /** Refunded on the latest charge; a released remainder of a partial capture counts on Stripe's side, so it is taken off here. */
  amountRefunded: number;
  currency: string;
  faxId: string | null;
}

export interface FaxFacts {
  id: string;
  status: FaxStatus;
  paymentState: PaymentState;
  paymentIntentId: string | null;
  priceAmount: number | null;
  currency: string | null;
  amountCaptured: number;
  amountRefunded: number;
  purgedAt: Date | null;
}

export interface AttemptFacts {
  number: number;
  status: AttemptStatus;
  carrierStatus: string | null;
  carrierFaxId: string | null;
}

/** A carrier fax as the activity read it; `null` when the carrier does not know the id. */
export interface CarrierFacts {
  id: string;
  status: CarrierStatus;
  failureReason: string | null;
}

export interface FaxEvidence {
  fax: FaxFacts;
  attempts: AttemptFacts[];
  /** Absent when the fax records no payment intent; null when Stripe does not know it. */
  intent?: IntentFacts | null;
  /** By carrier fax id, for every attempt that has one; null when the carrier does not know it. */
  carrier: Map<string, CarrierFacts | null>;
}

const CARRIER_FINAL: readonly CarrierStatus[] = ['delivered', 'failed'];

/** Refunded out of what was captured: Stripe counts a released remainder of a partial capture as refunded too. */
export function refundedOfCaptured(pi: Pick<IntentFacts, 'amount' | 'amountReceived' | 'amountRefunded'>): number {
  return Math.max(0, pi.amountRefunded - (pi.amount - pi.amountReceived));
}

/** The payment state Stripe's intent amounts to, in Durafax's words. */
export function stripePaymentState(pi: IntentFacts): PaymentState {
  switch (pi.status) {
    case 'requires_capture':
      return 'authorized';
    case 'canceled':
      return 'released';
    case 'succeeded':
      return pi.amountReceived > 0 && refundedOfCaptured(pi) >= pi.amountReceived ? 'refunded' : 'captured';
    default:
      return 'none';
  }
}

/** No money taken and no hold: the same thing whichever of the two words a side uses. */
const noMoney = (state: PaymentState): boolean => state === 'none' || state === 'released';

function ourSide(fax: FaxFacts, attempt?: AttemptFacts): OurSide {
  return {
    status: fax.status,
    paymentState: fax.paymentState,
    price: fax.priceAmount,
    currency: fax.currency,
    captured: fax.amountCaptured,
    refunded: fax.amountRefunded,
    purged: fax.purgedAt !== null,
    ...(attempt ? { attempt: { number: attempt.number, status: attempt.status, carrierStatus: attempt.carrierStatus } } : {}),
  };
}

function stripeSide(fax: FaxFacts, pi: IntentFacts | null | undefined): StripeSide {
  if (!pi) return { party: 'stripe', paymentIntentId: fax.paymentIntentId, found: false };
  return {
    party: 'stripe',
    paymentIntentId: pi.id,
    found: true,
    status: pi.status,
    amount: pi.amount,
    received: pi.amountReceived,
    refunded: refundedOfCaptured(pi),
    currency: pi.currency,
    faxId: pi.faxId,
  };
}

/** The payment's finding for a final fax, if its money is not where its status says it should be. */
export function paymentFinding(fax: FaxFacts, intent: IntentFacts | null | undefined): FindingCode | null {
  const delivered = fax.status === 'delivered';
  if (!fax.paymentIntentId) {
    if (delivered) return 'delivered_not_charged';
    return noMoney(fax.paymentState) ? null : 'payment_state_differs';
  }
  if (!intent) return 'payment_not_found';
  if (intent.faxId && intent.faxId !== fax.id) return 'payment_other_fax';
  const theirs = stripePaymentState(intent);
  const refunded = refundedOfCaptured(intent);
  const weRefunded = fax.paymentState === 'refunded';
  if (delivered) {
    if (theirs === 'authorized') return 'delivered_not_captured';
    if (noMoney(theirs)) return 'delivered_not_charged';
    if (fax.priceAmount !== null && intent.amountReceived !== fax.priceAmount) return 'captured_amount_differs';
  } else {
    if (theirs === 'authorized') return 'hold_left_open';
    if (theirs === 'captured' && !weRefunded) return 'charged_not_delivered';
  }
  if (weRefunded && theirs !== 'refunded') return 'refund_missing';
  if (refunded > fax.amountRefunded && !weRefunded) return 'refund_unrecorded';
  if (noMoney(theirs) && noMoney(fax.paymentState)) return null;
  return theirs === fax.paymentState ? null : 'payment_state_differs';
}

/** The carrier's finding for one attempt, if the carrier tells another story. */
export function attemptFinding(fax: FaxFacts, attempt: AttemptFacts, carrier: CarrierFacts | null): FindingCode | null {
  if (!carrier) return 'carrier_fax_not_found';
  if (!CARRIER_FINAL.includes(carrier.status)) return 'carrier_still_open';
  if (carrier.status === 'delivered' && fax.status !== 'delivered') return 'carrier_delivered_failed_here';
  const ourFinal = attempt.status === 'delivered' || attempt.status === 'failed';
  if (ourFinal && attempt.status !== carrier.status) return 'attempt_differs';
  return null;
}

/** Every finding for one final fax: its payment against Stripe, its transmissions against the carrier. */
export function reconcileFax(evidence: FaxEvidence): Finding[] {
  const { fax, attempts, carrier } = evidence;
  const findings: Finding[] = [];
  const payment = paymentFinding(fax, evidence.intent);
  if (payment) findings.push({ faxId: fax.id, code: payment, attempt: 0, ours: ourSide(fax), theirs: stripeSide(fax, evidence.intent) });

  let known = 0;
  let delivered = 0;
  for (const attempt of attempts) {
    if (!attempt.carrierFaxId) continue;
    const theirs = carrier.get(attempt.carrierFaxId) ?? null;
    if (theirs) known++;
    if (theirs?.status === 'delivered') delivered++;
    const code = attemptFinding(fax, attempt, theirs);
    if (!code) continue;
    findings.push({
      faxId: fax.id,
      code,
      attempt: attempt.number,
      ours: ourSide(fax, attempt),
      theirs: {
        party: 'carrier',
        carrierFaxId: attempt.carrierFaxId,
        found: theirs !== null,
        attempt: attempt.number,
        status: theirs?.status,
        failureReason: theirs?.failureReason ?? null,
      },
    });
  }
  if (fax.status === 'delivered' && delivered === 0) {
    findings.push({
      faxId: fax.id,
      code: 'delivered_not_at_carrier',
      attempt: 0,
      ours: ourSide(fax),
      theirs: { party: 'carrier', carrierFaxId: null, found: known > 0, transmissions: known, delivered },
    });
  }
  return findings;
}
