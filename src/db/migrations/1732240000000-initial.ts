import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Initial1732240000000 implements MigrationInterface {
  name = 'Initial1732240000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE fax (
        id uuid PRIMARY KEY,
        token_hash varchar(64) NOT NULL,
        token_sealed text,
        status varchar(20) NOT NULL CHECK (status IN ('converting','rejected','awaiting_payment','expired','cancelled','queued','sending','retrying','delivered','failed')),
        to_number varchar(20) NOT NULL,
        country char(2) NOT NULL,
        locale varchar(2) NOT NULL CHECK (locale IN ('en','de','fr')),
        email varchar(254),
        cover jsonb,
        paper varchar(6) CHECK (paper IN ('a4','letter')),
        pages int CHECK (pages >= 0),
        warnings jsonb NOT NULL DEFAULT '[]',
        price_amount int CHECK (price_amount >= 0),
        currency char(3),
        payment_state varchar(12) NOT NULL DEFAULT 'none' CHECK (payment_state IN ('none','authorized','captured','released','refunded')),
        checkout_session_id varchar(255),
        checkout_url text,
        payment_intent_id varchar(255),
        payment_expires_at timestamptz,
        hold_expires_at timestamptz,
        amount_captured int NOT NULL DEFAULT 0,
        amount_refunded int NOT NULL DEFAULT 0,
        carrier varchar(20) NOT NULL DEFAULT 'telnyx',
        carrier_fax_id varchar(255),
        attempts int NOT NULL DEFAULT 0,
        failure_reason varchar(40),
        failure_detail text,
        idempotency_key varchar(255) UNIQUE,
        request_digest varchar(64),
        workflow_id varchar(64) NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        paid_at timestamptz,
        delivered_at timestamptz,
        completed_at timestamptz,
        purge_at timestamptz,
        purged_at timestamptz
      )`);
    await q.query(`CREATE INDEX fax_status_created ON fax (status, created_at DESC)`);
    await q.query(`CREATE INDEX fax_email ON fax (lower(email)) WHERE email IS NOT NULL`);
    await q.query(`CREATE INDEX fax_to_number ON fax (to_number)`);
    await q.query(`CREATE INDEX fax_payment_intent ON fax (payment_intent_id) WHERE payment_intent_id IS NOT NULL`);
    await q.query(`CREATE INDEX fax_checkout_session ON fax (checkout_session_id) WHERE checkout_session_id IS NOT NULL`);

    await q.query(`
      CREATE TABLE fax_attempt (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        fax_id uuid NOT NULL REFERENCES fax(id) ON DELETE CASCADE,
        number int NOT NULL CHECK (number >= 1),
        status varchar(12) NOT NULL CHECK (status IN ('submitting','queued','sending','delivered','failed','cancelled')),
        carrier_fax_id varchar(255) UNIQUE,
        carrier_status varchar(32),
        reason varchar(40),
        carrier_reason varchar(80),
        retryable boolean,
        pages_sent int,
        duration_secs int,
        submitted_at timestamptz,
        completed_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT fax_attempt_fax_number UNIQUE (fax_id, number)
      )`);

    await q.query(`
      CREATE TABLE document (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        fax_id uuid NOT NULL REFERENCES fax(id) ON DELETE CASCADE,
        kind varchar(12) NOT NULL CHECK (kind IN ('original','fax_pdf','fax_tiff','preview','thumbnail')),
        page int NOT NULL DEFAULT 0,
        content_type varchar(100) NOT NULL,
        size int NOT NULL,
        sha256 varchar(64) NOT NULL,
        data bytea,
        created_at timestamptz NOT NULL DEFAULT now(),
        purged_at timestamptz
      )`);
    await q.query(`CREATE UNIQUE INDEX document_fax_kind_page ON document (fax_id, kind, page)`);

    await q.query(`
      CREATE TABLE webhook_event (
        id bigserial PRIMARY KEY,
        provider varchar(20) NOT NULL,
        event_id varchar(255) NOT NULL,
        type varchar(100) NOT NULL,
        fax_id uuid,
        received_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT webhook_event_provider_event UNIQUE (provider, event_id)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE webhook_event');
    await q.query('DROP TABLE document');
    await q.query('DROP TABLE fax_attempt');
    await q.query('DROP TABLE fax');
  }
}
