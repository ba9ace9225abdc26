import type { DataSource } from 'typeorm';
import type { SendLedger } from '../carrier/types';

/**
 * The carrier adapter's durable memory, kept in `fax_attempt`: the row of an attempt is
 * created (status `submitting`) before the carrier is called and gets the carrier's fax id
 * as soon as it is known.
 */
export class FaxAttemptLedger implements SendLedger {
  constructor(private readonly db: DataSource) {}

  async recorded(faxId: string, attempt: number): Promise<string | null> {
    const rows: Array<{ carrier_fax_id: string | null }> = await this.db.query(
      'SELECT carrier_fax_id FROM fax_attempt WHERE fax_id = $1 AND number = $2',
      [faxId, attempt],
    );
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
    const rows: Array<{ submitted_at: Date | null }> = await this.db.query(
      'SELECT submitted_at FROM fax_attempt WHERE fax_id = $1 AND number = $2',
      [faxId, attempt],
    );
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
}
