import { Client } from 'pg';
import type { DataSource, EntityManager } from 'typeorm';
import type { PostgresConnectionOptions } from 'typeorm/driver/postgres/PostgresConnectionOptions';
import { EmailOutboxRow, type EmailKind } from './entities/email-outbox';
import type { Fax } from './entities/fax';

/** The NOTIFY channel of a queued email (the migration's trigger sends the row id). */
const CHANNEL = 'email_outbox';

/** A write that must commit together with the status change it belongs to. */
export type OutboxWrite = (tx: EntityManager) => Promise<void>;

export interface DueEmail {
  id: string;
  faxId: string;
  kind: EmailKind;
  /** Failed sending attempts before this one. */
  attempts: number;
}

/** What became of one sending attempt. */
export type SendOutcome = { result: 'sent' } | { result: 'retry'; at: Date; error: string } | { result: 'failed'; error: string };

export interface OutboxListener {
  close(): Promise<void>;
}

/**
 * The one home of the `email_outbox` table. Emails are queued in the transaction of the
 * status change they tell about (so none is lost and none is written for a change that was
 * rolled back), one per fax and kind (so a retried activity queues nothing twice), and sent
 * by relays that each hold the row they send locked (so two relays never send the same one).
 */
export class EmailOutbox {
  constructor(private readonly db: DataSource) {}

  /**
   * The write that queues the `kind` email of a fax, to run inside the transaction of the
   * status change; none for a fax without an email address. Queued twice, it is one email.
   */
  queue(fax: Pick<Fax, 'id' | 'email'>, kind: EmailKind): OutboxWrite | undefined {
    if (!fax.email) return undefined;
    return async (tx) => {
      await tx.query(
        `INSERT INTO email_outbox (fax_id, kind) VALUES ($1, $2)
         ON CONFLICT ON CONSTRAINT email_outbox_fax_kind DO NOTHING`,
        [fax.id, kind],
      );
    };
  }

  /**
   * Hands the oldest due email that no other relay holds to `send`, and records what became
   * of it, in one transaction that keeps the row locked while it is sent: another relay skips
   * it (SKIP LOCKED) instead of waiting or sending it too. False when nothing is due. `send`
   * must not throw: every failure is an outcome, or the row would come back at once.
   */
  async sendNext(send: (email: DueEmail) => Promise<SendOutcome>): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const rows: Array<{ id: string; fax_id: string; kind: EmailKind; attempts: number }> = await tx.query(
        `SELECT id, fax_id, kind, attempts FROM email_outbox
          WHERE state = 'pending' AND next_attempt_at <= now()
          ORDER BY next_attempt_at, id LIMIT 1 FOR UPDATE SKIP LOCKED`,
      );
      if (rows.length === 0) return false;
      const row = rows[0];
      const outcome = await send({ id: row.id, faxId: row.fax_id, kind: row.kind, attempts: row.attempts });
      switch (outcome.result) {
        case 'sent':
          await tx.query(`UPDATE email_outbox SET state = 'sent', sent_at = now() WHERE id = $1`, [row.id]);
          break;
        case 'retry':
          await tx.query(`UPDATE email_outbox SET attempts = attempts + 1, next_attempt_at = $2, last_error = $3 WHERE id = $1`, [row.id, outcome.at, outcome.error.slice(0, 100)]);
          break;
        case 'failed':
          await tx.query(`UPDATE email_outbox SET state = 'failed', attempts = attempts + 1, last_error = $2 WHERE id = $1`, [row.id, outcome.error.slice(0, 100)]);
          break;
      }
      return true;
    });
  }

  /** When the next pending email falls due (possibly now), or null when none waits. */
  async nextDueAt(): Promise<Date | null> {
    const rows: Array<{ due: Date | null }> = await this.db.query(`SELECT min(next_attempt_at) AS due FROM email_outbox WHERE state = 'pending'`);
    return rows[0]?.due ?? null;
  }

  /** The emails of one fax, oldest first (support and tests). */
  async forFax(faxId: string): Promise<EmailOutboxRow[]> {
    return this.db.getRepository(EmailOutboxRow).find({ where: { faxId }, order: { createdAt: 'ASC', kind: 'ASC' } });
  }

  /**
   * Calls `onQueued` whenever an email is queued (by any process), over a connection of its
   * own that LISTENs; `onLost` when that connection fails, so the caller can listen again.
   */
  async listen(onQueued: () => void, onLost: (err: Error) => void): Promise<OutboxListener> {
    const client = new Client({ connectionString: (this.db.options as PostgresConnectionOptions).url, application_name: 'durafax-email-listen' });
    let live = false;
    const lost = (err: Error): void => {
      if (!live) return;
      live = false;
      client.end().catch(() => undefined);
      onLost(err);
    };
    client.on('notification', (n) => {
      if (n.channel === CHANNEL) onQueued();
    });
    client.on('error', lost);
    client.on('end', () => lost(new Error('the listening connection closed')));
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANNEL}`);
    } catch (err) {
      await client.end().catch(() => undefined);
      throw err;
    }
    live = true;
    return {
      close: async () => {
        if (!live) return;
        live = false;
        await client.end();
      },
    };
  }
}
