import type { DataSource } from 'typeorm';
import { Fax } from '../db/entities/fax';
import { FaxAttempt } from '../db/entities/fax-attempt';

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

  async updateAttempt(faxId: string, number: number, changes: Partial<FaxAttempt>): Promise<void> {
    await this.db.getRepository(FaxAttempt).update({ faxId, number }, changes);
  }
}
