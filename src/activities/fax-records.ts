import type { DataSource } from 'typeorm';
import { Fax } from '../db/entities/fax';
import { FaxAttempt } from '../db/entities/fax-attempt';

export type AttemptReport = Pick<
  FaxAttempt,
  'carrierStatus' | 'status' | 'carrierReason' | 'reason' | 'retryable' | 'pagesSent' | 'durationSecs' | 'completedAt'
>;

/** Reads and writes of the fax read model that several activities share. */
export class FaxRecords {
  constructor(private readonly db: DataSource) {}

  async get(faxId: string): Promise<Fax> {
    const fax = await this.db.getRepository(Fax).findOneBy({ id: faxId });
    if (!fax) throw new Error(`fax ${faxId} has no record`);
    return fax;
  }

  async update(faxId: string, changes: Partial<Fax>): Promise<void> {
    await this.db.getRepository(Fax).update({ id: faxId }, changes);
  }

  async attempt(faxId: string, number: number): Promise<FaxAttempt | null> {
    return this.db.getRepository(FaxAttempt).findOneBy({ faxId, number });
  }

  /** Marks an attempt cancelled unless the carrier already reported its end. */
  async cancelOpenAttempt(faxId: string, carrierFaxId: string): Promise<void> {
    await this.db.query(
      `UPDATE fax_attempt SET status = 'cancelled', completed_at = now(), updated_at = now()
       WHERE fax_id = $1 AND carrier_fax_id = $2 AND status NOT IN ('delivered', 'failed', 'cancelled')`,
      [faxId, carrierFaxId],
    );
  }

  async attemptByCarrierId(faxId: string, carrierFaxId: string): Promise<FaxAttempt | null> {
    return this.db.getRepository(FaxAttempt).findOneBy({ faxId, carrierFaxId });
  }

  async updateAttempt(faxId: string, number: number, changes: Partial<FaxAttempt>): Promise<void> {
    await this.db.getRepository(FaxAttempt).update({ faxId, number }, changes);
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
}
