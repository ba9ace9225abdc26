import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The email outbox: rows written in the transaction of a fax's status change, sent by the
 * worker's relay. An insert notifies the relays at once; the partial index finds what is due.
 */
export class EmailOutbox1796700000000 implements MigrationInterface {
  name = 'EmailOutbox1796700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE email_outbox (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        fax_id uuid NOT NULL REFERENCES fax(id) ON DELETE CASCADE,
        kind varchar(20) NOT NULL CHECK (kind IN ('payment_confirmed','receipt')),
        state varchar(10) NOT NULL DEFAULT 'pending' CHECK (state IN ('pending','sent','failed')),
        attempts int NOT NULL DEFAULT 0,
        next_attempt_at timestamptz NOT NULL DEFAULT now(),
        last_error varchar(100),
        created_at timestamptz NOT NULL DEFAULT now(),
        sent_at timestamptz,
        CONSTRAINT email_outbox_fax_kind UNIQUE (fax_id, kind)
      )`);
    await q.query(`CREATE INDEX email_outbox_due ON email_outbox (next_attempt_at) WHERE state = 'pending'`);
    await q.query(`
      CREATE FUNCTION notify_email_queued() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify('email_outbox', NEW.id::text);
        RETURN NULL;
      END $$`);
    await q.query('CREATE TRIGGER email_outbox_queued AFTER INSERT ON email_outbox FOR EACH ROW EXECUTE FUNCTION notify_email_queued()');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE email_outbox');
    await q.query('DROP FUNCTION notify_email_queued()');
  }
}
