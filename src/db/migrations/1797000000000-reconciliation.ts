import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The daily reconciliation: one row per run (its window of fax changes, when it ended, how
 * many faxes it checked) and one per inconsistency it found, with both sides' words. Faxes
 * are read by the time of their last change, so `fax.updated_at` gets an index.
 */
export class Reconciliation1797000000000 implements MigrationInterface {
  name = 'Reconciliation1797000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query('CREATE INDEX fax_updated ON fax (updated_at)');
    await q.query(`
      CREATE TABLE reconciliation (
        id uuid PRIMARY KEY,
        workflow_id varchar(255) NOT NULL UNIQUE,
        window_from timestamptz NOT NULL,
        window_to timestamptz NOT NULL,
        started_at timestamptz NOT NULL DEFAULT now(),
        completed_at timestamptz,
        faxes_checked int NOT NULL DEFAULT 0,
        findings int NOT NULL DEFAULT 0
      )`);
    await q.query('CREATE INDEX reconciliation_started ON reconciliation (started_at DESC)');
    await q.query(`
      CREATE TABLE reconciliation_finding (
        id bigserial PRIMARY KEY,
        reconciliation_id uuid NOT NULL REFERENCES reconciliation(id) ON DELETE CASCADE,
        fax_id uuid NOT NULL,
        code varchar(40) NOT NULL,
        attempt int NOT NULL DEFAULT 0,
        ours jsonb NOT NULL,
        theirs jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT reconciliation_finding_once UNIQUE (reconciliation_id, fax_id, code, attempt)
      )`);
    await q.query('CREATE INDEX reconciliation_finding_fax ON reconciliation_finding (fax_id)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE reconciliation_finding');
    await q.query('DROP TABLE reconciliation');
    await q.query('DROP INDEX fax_updated');
  }
}
