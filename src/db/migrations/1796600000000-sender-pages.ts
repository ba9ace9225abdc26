import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What the sender's pages need: the times of the timeline's steps, a notification whenever
 * a fax or one of its attempts changes (status pages update live from it, across web
 * processes), and the rate limiter's table (shared by every web process).
 */
export class SenderPages1796600000000 implements MigrationInterface {
  name = 'SenderPages1796600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE fax
        ADD COLUMN converted_at timestamptz,
        ADD COLUMN settled_at timestamptz,
        ADD COLUMN next_attempt_at timestamptz`);
    await q.query(`
      CREATE FUNCTION notify_fax_changed() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify('fax_changed', to_jsonb(NEW) ->> TG_ARGV[0]);
        RETURN NULL;
      END $$`);
    await q.query(`CREATE TRIGGER fax_changed AFTER INSERT OR UPDATE ON fax FOR EACH ROW EXECUTE FUNCTION notify_fax_changed('id')`);
    await q.query(`CREATE TRIGGER fax_attempt_changed AFTER INSERT OR UPDATE ON fax_attempt FOR EACH ROW EXECUTE FUNCTION notify_fax_changed('fax_id')`);
    await q.query(`
      CREATE TABLE rate_limit (
        key varchar(255) PRIMARY KEY,
        points integer NOT NULL DEFAULT 0,
        expire bigint
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE rate_limit');
    await q.query('DROP TRIGGER fax_attempt_changed ON fax_attempt');
    await q.query('DROP TRIGGER fax_changed ON fax');
    await q.query('DROP FUNCTION notify_fax_changed()');
    await q.query('ALTER TABLE fax DROP COLUMN converted_at, DROP COLUMN settled_at, DROP COLUMN next_attempt_at');
  }
}
