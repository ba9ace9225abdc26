import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Support: sessions of support staff (shared by the web and the Temporal UI), the lockout of
 * a user name after repeated failed sign-ins, the sandbox's one-time sign-in links, the
 * audit log of every support action on a fax, the link from a fax the sender sent again to
 * the fax it repeats, and the indexes support's search and fax page read by.
 */
export class Support1796800000000 implements MigrationInterface {
  name = 'Support1796800000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE fax ADD COLUMN resent_from uuid REFERENCES fax(id) ON DELETE SET NULL');
    await q.query('CREATE INDEX fax_resent_from ON fax (resent_from) WHERE resent_from IS NOT NULL');
    await q.query('CREATE INDEX fax_created ON fax (created_at DESC)');
    await q.query('CREATE INDEX webhook_event_fax ON webhook_event (fax_id) WHERE fax_id IS NOT NULL');
    await q.query(`
      CREATE TABLE support_session (
        token_hash varchar(64) PRIMARY KEY,
        username varchar(64) NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        last_seen_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL
      )`);
    await q.query('CREATE INDEX support_session_expires ON support_session (expires_at)');
    await q.query(`
      CREATE TABLE support_lockout (
        username varchar(64) PRIMARY KEY,
        failures int NOT NULL DEFAULT 0,
        first_failure_at timestamptz NOT NULL DEFAULT now(),
        locked_until timestamptz
      )`);
    await q.query(`
      CREATE TABLE support_login_link (
        token_hash varchar(64) PRIMARY KEY,
        username varchar(64) NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL,
        used_at timestamptz
      )`);
    await q.query(`
      CREATE TABLE support_action (
        id uuid PRIMARY KEY,
        fax_id uuid NOT NULL REFERENCES fax(id) ON DELETE CASCADE,
        actor varchar(64) NOT NULL,
        kind varchar(10) NOT NULL CHECK (kind IN ('cancel','refund','resend')),
        reason text NOT NULL,
        to_number varchar(20),
        previous_number varchar(20),
        outcome varchar(20) NOT NULL DEFAULT 'pending',
        outcome_code varchar(40),
        created_at timestamptz NOT NULL DEFAULT now(),
        completed_at timestamptz
      )`);
    await q.query('CREATE INDEX support_action_fax ON support_action (fax_id, created_at)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE support_action');
    await q.query('DROP TABLE support_login_link');
    await q.query('DROP TABLE support_lockout');
    await q.query('DROP TABLE support_session');
    await q.query('DROP INDEX webhook_event_fax');
    await q.query('DROP INDEX fax_created');
    await q.query('ALTER TABLE fax DROP COLUMN resent_from');
  }
}
