import type { DataSource, EntityManager } from 'typeorm';
import type { SendLedger } from '../carrier/types';
import { FINAL_FAX_STATUSES, type FaxStatus } from '../domain/status';
import type { PaymentIntentInfo } from '../payments/types';
import { Fax } from './entities/fax';
import { FaxAttempt } from './entities/fax-attempt';

export type AttemptReport = Pick<FaxAttempt, 'carrierStatus' | 'status' | 'carrierReason' | 'reason' | 'retryable' | 'pagesSent' | 'durationSecs' | 'completedAt'>;

/** What support finds faxes by; every part given must match. */
export interface FaxSearch {
  id?: string;
  /** The first characters of the id, as the sender's page shows them (its reference). */
  idPrefix?: string;
  /** E.164, whole. */
  toNumber?: string;
  /** Digits somewhere in the number (a number typed in part, or nationally). */
  numberDigits?: string;
  /** Eight digits can be either: the start of the id, or digits somewhere in the number. */
  idPrefixOrDigits?: string;
  /** Whole, in any case. */
  email?: string;
  /** A payment intent or checkout session id. */
  paymentId?: string;
  status?: FaxStatus;
  createdFrom?: Date;
  createdBefore?: Date;
}

/** Two requests created a fax under the same Idempotency-Key at once; the other one won. */
export class DuplicateIdempotencyKey extends Error {
  constructor() {
    super('a fax with this idempotency key exists');
    this.name = 'DuplicateIdempotencyKey';
  }
}

/**
 * The one home of the `fax` and `fax_attempt` tables: every read and write of a fax or of
 * its transmission attempts goes through here, from activities and routes alike.
 */
export class Faxes implements SendLedger {
  constructor(private readonly db: DataSource) {}

  private get faxes() {
    return this.db.getRepository(Fax);
  }

  private get attemptRows() {
    return this.db.getRepository(FaxAttempt);
  }

  // ── faxes ──────────────────────────────────────────────────────────────────────────────

  async find(faxId: string): Promise<Fax | null> {
    return this.faxes.findOneBy({ id: faxId });
  }

  /** The fax an activity works on: it exists, or the workflow was started without one (a bug). */
  async get(faxId: string): Promise<Fax> {
    const fax = await this.find(faxId);
    if (!fax) throw new Error(`fax ${faxId} has no record`);
    return fax;
  }

  /** Support's search: a page of the matching faxes, newest first, and how many match in all. */
  async search(criteria: FaxSearch, offset: number, limit: number): Promise<{ faxes: Fax[]; total: number }> {
    const q = this.faxes.createQueryBuilder('fax');
    if (criteria.id) q.andWhere('fax.id = :id', { id: criteria.id });
    if (criteria.idPrefix) q.andWhere('CAST(fax.id AS text) LIKE :prefix', { prefix: `${criteria.idPrefix.toLowerCase().replace(/[^0-9a-f-]/g, '')}%` });
    if (criteria.toNumber) q.andWhere('fax.toNumber = :toNumber', { toNumber: criteria.toNumber });
    if (criteria.numberDigits) q.andWhere('fax.toNumber LIKE :digits', { digits: `%${criteria.numberDigits.replace(/\D/g, '')}%` });
    if (criteria.idPrefixOrDigits) {
      const digits = criteria.idPrefixOrDigits.replace(/\D/g, '');
      q.andWhere('(CAST(fax.id AS text) LIKE :either OR fax.toNumber LIKE :somewhere)', { either: `${digits}%`, somewhere: `%${digits}%` });
    }
    if (criteria.email) q.andWhere('lower(fax.email) = lower(:email)', { email: criteria.email });
    if (criteria.paymentId) q.andWhere('(fax.paymentIntentId = :paymentId OR fax.checkoutSessionId = :paymentId)', { paymentId: criteria.paymentId });
    if (criteria.status) q.andWhere('fax.status = :status', { status: criteria.status });
    if (criteria.createdFrom) q.andWhere('fax.createdAt >= :from', { from: criteria.createdFrom });
    if (criteria.createdBefore) q.andWhere('fax.createdAt < :before', { before: criteria.createdBefore });
    const [faxes, total] = await q.orderBy('fax.createdAt', 'DESC').addOrderBy('fax.id', 'DESC').skip(offset).take(limit).getManyAndCount();
    return { faxes, total };
  }

  /**
   * Final faxes last changed in [from, to), a page at a time in id order after `afterId`:
   * what the daily reconciliation compares with Stripe and the carrier.
   */
  async finalChangedBetween(from: Date, to: Date, afterId: string | null, limit: number): Promise<Fax[]> {
    const q = this.faxes
      .createQueryBuilder('fax')
      .where('fax.status IN (:...final)', { final: FINAL_FAX_STATUSES })
      .andWhere('fax.updatedAt >= :from AND fax.updatedAt < :to', { from, to });
    if (afterId) q.andWhere('fax.id > :afterId', { afterId });
    return q.orderBy('fax.id', 'ASC').take(limit).getMany();
  }

  /** The faxes the sender made from this one with "send again", oldest first. */
  async sentAgainAs(faxId: string): Promise<Array<Pick<Fax, 'id' | 'status' | 'createdAt'>>> {
    return this.faxes.find({ where: { resentFrom: faxId }, select: ['id', 'status', 'createdAt'], order: { createdAt: 'ASC' } });
  }

  /** An earlier create under the same Idempotency-Key, with its sealed token. */
  async findByIdempotencyKey(key: string): Promise<Pick<Fax, 'id' | 'status' | 'requestDigest' | 'tokenSealed' | 'country' | 'workflowStartedAt'> | null> {
    return this.faxes.findOne({ where: { idempotencyKey: key }, select: ['id', 'status', 'requestDigest', 'tokenSealed', 'country', 'workflowStartedAt'] });
  }

  /** The fax's sealed access token (kept for faxes with an email), for the status link in emails. */
  async sealedToken(faxId: string): Promise<string | null> {
    const fax = await this.faxes.findOne({ where: { id: faxId }, select: ['id', 'tokenSealed'] });
    return fax?.tokenSealed ?? null;
  }

  /**
   * Inserts a new fax; `alongside` (its upload) commits in the same transaction, so there is
   * never a fax without its document. A second insert under an Idempotency-Key waits for the
   * first to commit, then fails with DuplicateIdempotencyKey.
   */
  async insert(fax: Partial<Fax>, alongside?: (tx: EntityManager) => Promise<void>): Promise<void> {
    try {
      await this.db.transaction(async (tx) => {
        await tx.getRepository(Fax).insert(fax);
        await alongside?.(tx);
      });
    } catch (err) {
      if (fax.idempotencyKey && (err as { code?: string }).code === '23505') throw new DuplicateIdempotencyKey();
      throw err;
    }
  }

  /** Notes that the fax's workflow runs (started now, or found running). */
  async workflowStarted(faxId: string): Promise<void> {
    await this.db.query('UPDATE fax SET workflow_started_at = now() WHERE id = $1 AND workflow_started_at IS NULL', [faxId]);
  }

  /** Faxes accepted before `before` whose workflow was never seen started (Temporal was out of reach), oldest first. */
  async awaitingWorkflow(before: Date, limit: number): Promise<Array<Pick<Fax, 'id' | 'country'>>> {
    return this.faxes
      .createQueryBuilder('fax')
      .select(['fax.id', 'fax.country'])
      .where('fax.workflowStartedAt IS NULL AND fax.createdAt < :before', { before })
      .orderBy('fax.createdAt', 'ASC')
      .take(limit)
      .getMany();
  }

  /**
   * Writes changes to a fax. `alongside` (an email queued for this change) commits in the same
   * transaction, so the one never happens without the other.
   */
  async update(faxId: string, changes: Partial<Fax>, alongside?: (tx: EntityManager) => Promise<void>): Promise<void> {
    if (!alongside) {
      await this.faxes.update({ id: faxId }, changes);
      return;
    }
    await this.db.transaction(async (tx) => {
      await tx.getRepository(Fax).update({ id: faxId }, changes);
      await alongside(tx);
    });
  }

  /**
   * The end of a fax's retention: every personal field goes — the number, the email, the
   * cover page, the sealed token, the request's key and digest (a hash of those) and the
   * checkout link — and what accounting needs stays: amounts, currency, country, pages,
   * status and reason, times, and the payment's ids. `alongside` (the same fax's rows in
   * other tables) commits with it. Idempotent; the first purge time is kept.
   */
  async redact(faxId: string, alongside: (tx: EntityManager) => Promise<void>): Promise<void> {
    await this.db.transaction(async (tx) => {
      await tx.query(
        `UPDATE fax SET to_number = NULL, email = NULL, cover = NULL, token_sealed = NULL, idempotency_key = NULL,
                        request_digest = NULL, checkout_url = NULL, purged_at = COALESCE(purged_at, now()), updated_at = now()
          WHERE id = $1`,
        [faxId],
      );
      await alongside(tx);
    });
  }

  // ── attempts ───────────────────────────────────────────────────────────────────────────

  /** Every transmission attempt of a fax, first to last. */
  async attempts(faxId: string): Promise<FaxAttempt[]> {
    return this.attemptRows.find({ where: { faxId }, order: { number: 'ASC' } });
  }

  async attempt(faxId: string, number: number): Promise<FaxAttempt | null> {
    return this.attemptRows.findOneBy({ faxId, number });
  }

  async attemptByCarrierId(faxId: string, carrierFaxId: string): Promise<FaxAttempt | null> {
    return this.attemptRows.findOneBy({ faxId, carrierFaxId });
  }

  async updateAttempt(faxId: string, number: number, changes: Partial<FaxAttempt>): Promise<void> {
    await this.attemptRows.update({ faxId, number }, changes);
  }

  /** Marks an attempt cancelled unless the carrier already reported its end. */
  async cancelOpenAttempt(faxId: string, carrierFaxId: string): Promise<void> {
    await this.db.query(
      `UPDATE fax_attempt SET status = 'cancelled', completed_at = now(), updated_at = now()
       WHERE fax_id = $1 AND carrier_fax_id = $2 AND status NOT IN ('delivered', 'failed', 'cancelled')`,
      [faxId, carrierFaxId],
    );
  }

  /**
   * Writes a carrier report to an attempt only while its carrier status is one of `after` (or
   * none yet), in one statement: reports racing each other (webhook and poll) cannot undo a
   * later one. Pages and call time keep their known values when the report has none. False
   * when nothing was written.
   */
  async advanceAttempt(faxId: string, number: number, after: readonly string[], changes: AttemptReport): Promise<boolean> {
    const { pagesSent, durationSecs, ...rest } = changes;
    const result = await this.db
      .createQueryBuilder()
      .update(FaxAttempt)
      .set({ ...rest, pagesSent: () => 'COALESCE(:pagesSent, pages_sent)', durationSecs: () => 'COALESCE(:durationSecs, duration_secs)' })
      .where('fax_id = :faxId AND number = :number', { faxId, number })
      .andWhere('(carrier_status IS NULL OR carrier_status IN (:...after))', { after })
      .setParameters({ pagesSent, durationSecs })
      .execute();
    return (result.affected ?? 0) > 0;
  }

  // ── the carrier adapter's ledger: the attempt row exists (status `submitting`) before the
  //    carrier is called and gets the carrier's fax id as soon as it is known ─────────────

  async recorded(faxId: string, attempt: number): Promise<string | null> {
    const rows: Array<{ carrier_fax_id: string | null }> = await this.db.query('SELECT carrier_fax_id FROM fax_attempt WHERE fax_id = $1 AND number = $2', [faxId, attempt]);
    return rows[0]?.carrier_fax_id ?? null;
  }

  async submitting(faxId: string, attempt: number, at: Date): Promise<void> {
    await this.db.query(
      `INSERT INTO fax_attempt (fax_id, number, status, submitted_at) VALUES ($1, $2, 'submitting', $3)
       ON CONFLICT ON CONSTRAINT fax_attempt_fax_number
       DO UPDATE SET submitted_at = COALESCE(fax_attempt.submitted_at, EXCLUDED.submitted_at), updated_at = now()`,
      [faxId, attempt, at],
    );
  }

  async submittingSince(faxId: string, attempt: number): Promise<Date | null> {
    const rows: Array<{ submitted_at: Date | null }> = await this.db.query('SELECT submitted_at FROM fax_attempt WHERE fax_id = $1 AND number = $2', [faxId, attempt]);
    return rows[0]?.submitted_at ?? null;
  }

  async record(faxId: string, attempt: number, carrierFaxId: string): Promise<void> {
    await this.db.query(
      `INSERT INTO fax_attempt (fax_id, number, status, carrier_fax_id, submitted_at) VALUES ($1, $2, 'queued', $3, now())
       ON CONFLICT ON CONSTRAINT fax_attempt_fax_number
       DO UPDATE SET carrier_fax_id = EXCLUDED.carrier_fax_id,
                     status = CASE WHEN fax_attempt.status = 'submitting' THEN 'queued' ELSE fax_attempt.status END,
                     updated_at = now()`,
      [faxId, attempt, carrierFaxId],
    );
  }

  // ── payment moves the workflow cannot make itself (a refund finishing later, a hold
  //    lapsing), reported by Stripe's webhooks, applied only from the states they follow ──

  /** A hold that Stripe cancelled (it lapsed, or someone released it in the dashboard). */
  async markHoldReleased(faxId: string, paymentIntentId: string): Promise<boolean> {
    // A bare UPDATE … RETURNING comes back from TypeORM as [rows, count]; a SELECT is just rows.
    const rows: unknown[] = await this.db.query(
      `WITH changed AS (
         UPDATE fax SET payment_state = 'released', settled_at = COALESCE(settled_at, now()), updated_at = now()
          WHERE id = $1 AND payment_intent_id = $2 AND payment_state = 'authorized' RETURNING id)
       SELECT id FROM changed`,
      [faxId, paymentIntentId],
    );
    return rows.length > 0;
  }

  /** Applies the refund state of a captured payment: `refunded` when all of it went back. */
  async applyRefundState(faxId: string, pi: PaymentIntentInfo, failure?: string): Promise<boolean> {
    if (pi.status !== 'succeeded') return false;
    const refunded = refundedOfCaptured(pi);
    const state = refunded > 0 && refunded >= pi.amountReceived ? 'refunded' : 'captured';
    const rows: unknown[] = await this.db.query(
      `WITH changed AS (
       UPDATE fax SET amount_refunded = $3,
              payment_state = CASE WHEN payment_state IN ('captured', 'refunded') THEN $4 ELSE payment_state END,
              settled_at = CASE WHEN $4 = 'refunded' THEN now() ELSE settled_at END,
              failure_detail = CASE WHEN $5::text IS NULL THEN failure_detail ELSE concat_ws('; ', failure_detail, $5::text) END,
              updated_at = now()
        WHERE id = $1 AND payment_intent_id = $2 RETURNING id)
       SELECT id FROM changed`,
      [faxId, pi.id, refunded, state, failure ?? null],
    );
    return rows.length > 0;
  }
}

/**
 * The refunded amount of a captured payment, from the intent's charge. An uncaptured
 * remainder also counts as refunded on Stripe's charge, so it is taken off.
 */
function refundedOfCaptured(pi: PaymentIntentInfo): number {
  const released = pi.amount - pi.amountReceived;
  return Math.max(0, (pi.amountRefunded ?? 0) - released);
}
