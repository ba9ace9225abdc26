import { randomUUID } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import { SupportActionRow, type SupportActionKind, type SupportActionOutcome } from './entities/support';

export interface NewSupportAction {
  faxId: string;
  actor: string;
  kind: SupportActionKind;
  reason: string;
  toNumber?: string | null;
  previousNumber?: string | null;
}

/**
 * The one home of `support_action`, the audit log of support actions. A row is written
 * (`pending`) before the fax's workflow is asked, so an action is on record even when the
 * answer never comes, and completed with the answer.
 */
export class SupportActions {
  constructor(private readonly db: DataSource) {}

  private get rows() {
    return this.db.getRepository(SupportActionRow);
  }

  async begin(action: NewSupportAction): Promise<SupportActionRow> {
    const id = randomUUID();
    await this.rows.insert({ id, outcome: 'pending', toNumber: null, previousNumber: null, ...action });
    return this.rows.findOneByOrFail({ id });
  }

  async finish(id: string, outcome: Exclude<SupportActionOutcome, 'pending'>, outcomeCode: string | null = null): Promise<void> {
    await this.rows.update({ id }, { outcome, outcomeCode, completedAt: new Date() });
  }

  async get(id: string): Promise<SupportActionRow | null> {
    return this.rows.findOneBy({ id });
  }

  /**
   * The write that redacts a fax's actions at the end of its retention, for the fax's own
   * redaction to run in its transaction: the numbers of a resend and support's words (which
   * may name the sender) go; who did what, when, and what came of it stay for the audit.
   */
  redaction(faxId: string): (tx: EntityManager) => Promise<void> {
    return async (tx) => {
      await tx.query('UPDATE support_action SET reason = NULL, to_number = NULL, previous_number = NULL WHERE fax_id = $1', [faxId]);
    };
  }

  /** A fax's actions, newest first. */
  async forFax(faxId: string): Promise<SupportActionRow[]> {
    return this.rows.find({ where: { faxId }, order: { createdAt: 'DESC' } });
  }
}
