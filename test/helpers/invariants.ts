/**
 * The guarantees Durafax makes about money and transmissions, checked against what the
 * providers themselves recorded (the twins' ledgers), PostgreSQL and Temporal, after every
 * workflow has closed. Pure: the chaos bench, its short version in `npm test` and the
 * duplicate-delivery test read a Ledger and call checkInvariants.
 */
import { FINAL_FAX_STATUSES, type FaxStatus, type PaymentState } from '../../src/domain/status';

export interface LedgerAttempt {
  number: number;
  status: string;
  carrierFaxId: string | null;
}

/** A fax as PostgreSQL holds it at the end. */
export interface LedgerFax {
  id: string;
  status: FaxStatus;
  /** The reason code of an ending other than delivered. */
  failureReason: string | null;
  paymentState: PaymentState;
  paymentIntentId: string | null;
  priceAmount: number | null;
  amountCaptured: number;
  purgeAt: Date | null;
  purgedAt: Date | null;
  attempts: LedgerAttempt[];
  /** Stored documents whose bytes are still kept. */
  documentsKept: number;
}

/** A payment intent as the Stripe sandbox holds it. */
export interface LedgerIntent {
  id: string;
  faxId: string | null;
  status: string;
  amountReceived: number;
  /** `charge.captured` events for it. */
  captures: number;
  /** Amount of its succeeded refunds. */
  refunded: number;
}

/** A transmission as the carrier sandbox holds it. */
export interface LedgerTransmission {
  id: string;
  faxId: string | null;
  attempt: number | null;
  status: string;
}

export interface Ledger {
  faxes: LedgerFax[];
  intents: LedgerIntent[];
  transmissions: LedgerTransmission[];
  /** Each fax's workflow's status in Temporal (`COMPLETED`, `RUNNING`, … or `NOT_FOUND`), by fax id. */
  workflows: Map<string, string>;
  /** PostgreSQL large objects left over (an upload's bytes are streamed through one and unlinked in its transaction). */
  largeObjects: number;
  /** When it was read: documents are checked against each fax's purge time. */
  readAt: Date;
}

export interface Violation {
  faxId: string | null;
  rule: string;
  detail: string;
}

/** How late a purge may run after its due time and still count as on time (timers, a busy worker, a restart). */
export const PURGE_GRACE_MS = 60_000;

/**
 * Every violated rule, empty when all hold:
 * - every fax (every upload that was answered 201) exists and ended in a final status, its workflow closed;
 * - each attempt is at most one transmission at the carrier, and no transmission belongs to no attempt;
 * - a delivered fax has exactly one delivered transmission and its payment was captured exactly once, for its price;
 * - an undelivered fax was never captured, or was refunded in full;
 * - no card hold is left open;
 * - no document is kept past its purge time, and no upload's bytes are left in a large object.
 */
export function checkInvariants(ledger: Ledger, accepted: Iterable<string>): Violation[] {
  const out: Violation[] = [];
  const violation = (faxId: string | null, rule: string, detail: string): void => {
    out.push({ faxId, rule, detail });
  };
  const faxes = new Map(ledger.faxes.map((f) => [f.id, f]));
  for (const id of accepted) if (!faxes.has(id)) violation(id, 'upload lost', 'answered 201 but not in the database');

  const intentsByFax = groupBy(ledger.intents, (i) => i.faxId);
  const sentByFax = groupBy(ledger.transmissions, (t) => t.faxId);
  for (const t of ledger.transmissions) {
    if (!t.faxId || !faxes.has(t.faxId)) violation(t.faxId, 'unknown transmission', `carrier fax ${t.id} belongs to no fax`);
  }
  for (const i of ledger.intents) {
    if (i.status === 'requires_capture') violation(i.faxId, 'hold left open', `payment intent ${i.id} still holds ${i.faxId ? 'the card' : 'a card'}`);
    if (i.captures > 1) violation(i.faxId, 'captured twice', `payment intent ${i.id} captured ${i.captures} times`);
    if (!i.faxId || (!faxes.has(i.faxId) && i.amountReceived > 0)) violation(i.faxId, 'unknown payment', `payment intent ${i.id} charged for no fax`);
  }

  for (const fax of ledger.faxes) {
    const workflow = ledger.workflows.get(fax.id) ?? 'NOT_FOUND';
    if (!FINAL_FAX_STATUSES.includes(fax.status)) violation(fax.id, 'not final', `status ${fax.status}`);
    if (workflow !== 'COMPLETED') violation(fax.id, 'workflow open', `workflow ${workflow}`);
    checkTransmissions(fax, sentByFax.get(fax.id) ?? [], violation);
    checkMoney(fax, intentsByFax.get(fax.id) ?? [], violation);
    const due = fax.purgeAt ? fax.purgeAt.getTime() + PURGE_GRACE_MS : null;
    if (fax.documentsKept > 0 && (due === null ? workflow === 'COMPLETED' : due < ledger.readAt.getTime())) {
      violation(fax.id, 'document kept', `${fax.documentsKept} documents kept, purge due ${fax.purgeAt?.toISOString() ?? 'never set'}`);
    }
    if (workflow === 'COMPLETED' && !fax.purgedAt) violation(fax.id, 'not purged', 'the workflow closed without purging');
  }
  if (ledger.largeObjects > 0) violation(null, 'upload bytes left', `${ledger.largeObjects} large objects left in PostgreSQL`);
  return out;
}

type Report = (faxId: string | null, rule: string, detail: string) => void;

function checkTransmissions(fax: LedgerFax, sent: LedgerTransmission[], violation: Report): void {
  const byAttempt = groupBy(sent, (t) => t.attempt);
  for (const [attempt, list] of byAttempt) {
    if (list.length > 1) violation(fax.id, 'sent twice', `attempt ${attempt} transmitted ${list.length} times`);
    const row = fax.attempts.find((a) => a.number === attempt);
    if (!row) violation(fax.id, 'unrecorded transmission', `attempt ${attempt} was transmitted but has no attempt row`);
    else if (row.carrierFaxId !== null && !list.some((t) => t.id === row.carrierFaxId)) {
      violation(fax.id, 'wrong transmission', `attempt ${attempt} records carrier fax ${row.carrierFaxId}, the carrier has ${list.map((t) => t.id).join(', ')}`);
    }
  }
  for (const row of fax.attempts) {
    if (row.carrierFaxId !== null && !byAttempt.has(row.number))
      violation(fax.id, 'transmission missing', `attempt ${row.number} records carrier fax ${row.carrierFaxId}, unknown to the carrier`);
  }
  const delivered = sent.filter((t) => t.status === 'delivered').length;
  if (fax.status === 'delivered' && delivered !== 1) violation(fax.id, 'delivery count', `delivered fax has ${delivered} delivered transmissions`);
  if (fax.status !== 'delivered' && delivered > 0) violation(fax.id, 'delivery lost', `${fax.status} fax has a delivered transmission`);
}

function checkMoney(fax: LedgerFax, intents: LedgerIntent[], violation: Report): void {
  const captures = intents.reduce((n, i) => n + i.captures, 0);
  const kept = intents.reduce((n, i) => n + i.amountReceived - i.refunded, 0);
  if (fax.status === 'delivered') {
    if (captures !== 1) violation(fax.id, 'capture count', `delivered fax captured ${captures} times`);
    // Support may refund a delivered fax; a delivered fax is otherwise paid its price, once.
    if (fax.paymentState === 'captured' && kept !== fax.priceAmount) violation(fax.id, 'amount', `kept ${kept}, price ${fax.priceAmount}`);
    if (fax.paymentState !== 'captured' && fax.paymentState !== 'refunded') violation(fax.id, 'payment state', `delivered fax is ${fax.paymentState}`);
  } else if (kept !== 0) {
    violation(fax.id, 'charged without delivery', `${fax.status} fax keeps ${kept} (captured ${captures} times)`);
  }
  if (fax.paymentState === 'authorized') violation(fax.id, 'payment state', 'the fax still records an open hold');
}

function groupBy<T, K>(items: T[], key: (item: T) => K): Map<K, T[]> {
  const out = new Map<K, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = out.get(k);
    if (list) list.push(item);
    else out.set(k, [item]);
  }
  return out;
}
