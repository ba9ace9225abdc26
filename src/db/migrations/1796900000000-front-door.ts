import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The front door's hardening: a fax's number can be redacted at retention's end (its email,
 * cover page and support's notes already could, or become so), and each fax records when its
 * workflow was started, so faxes accepted while Temporal was out of reach are started later.
 * Faxes from before count as started: they were started before their answer.
 */
export class FrontDoor1796900000000 implements MigrationInterface {
  name = 'FrontDoor1796900000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE fax ALTER COLUMN to_number DROP NOT NULL');
    await q.query('ALTER TABLE fax ADD COLUMN workflow_started_at timestamptz');
    await q.query('UPDATE fax SET workflow_started_at = created_at');
    await q.query('CREATE INDEX fax_workflow_not_started ON fax (created_at) WHERE workflow_started_at IS NULL');
    await q.query('ALTER TABLE support_action ALTER COLUMN reason DROP NOT NULL');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`UPDATE support_action SET reason = '' WHERE reason IS NULL`);
    await q.query('ALTER TABLE support_action ALTER COLUMN reason SET NOT NULL');
    await q.query('DROP INDEX fax_workflow_not_started');
    await q.query('ALTER TABLE fax DROP COLUMN workflow_started_at');
    await q.query(`UPDATE fax SET to_number = '' WHERE to_number IS NULL`);
    await q.query('ALTER TABLE fax ALTER COLUMN to_number SET NOT NULL');
  }
}
