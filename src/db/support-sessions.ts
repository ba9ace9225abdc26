import type { DataSource } from 'typeorm';

export interface SupportSession {
  username: string;
  expiresAt: Date;
}

/**
 * The one home of `support_session`: who is signed in to the support pages and the Temporal
 * UI. Rows are keyed by the SHA-256 of the cookie's token, so the table never holds a token
 * that would open a session.
 */
export class SupportSessions {
  constructor(private readonly db: DataSource) {}

  async create(tokenHash: string, username: string, expiresAt: Date): Promise<void> {
    await this.db.query('INSERT INTO support_session (token_hash, username, expires_at) VALUES ($1, $2, $3)', [tokenHash, username, expiresAt]);
  }

  /**
   * The live session of a token hash, or null: not past its end, and used within `idleMs`.
   * Marks it seen, in the same statement, so every process agrees on when it was last used.
   */
  async touch(tokenHash: string, idleMs: number): Promise<SupportSession | null> {
    // As a CTE: TypeORM answers a bare UPDATE with [rows, count], a SELECT with its rows.
    const rows: Array<{ username: string; expires_at: Date }> = await this.db.query(
      `WITH seen AS (
         UPDATE support_session SET last_seen_at = now()
          WHERE token_hash = $1 AND expires_at > now() AND last_seen_at > now() - ($2::bigint * interval '1 millisecond')
          RETURNING username, expires_at)
       SELECT username, expires_at FROM seen`,
      [tokenHash, idleMs],
    );
    return rows[0] ? { username: rows[0].username, expiresAt: rows[0].expires_at } : null;
  }

  async delete(tokenHash: string): Promise<void> {
    await this.db.query('DELETE FROM support_session WHERE token_hash = $1', [tokenHash]);
  }

  /** Ends the sessions of users who are no longer configured, and expired ones. Returns how many went. */
  async prune(configured: readonly string[]): Promise<number> {
    const rows: Array<{ ended: number }> = await this.db.query(
      `WITH gone AS (DELETE FROM support_session WHERE expires_at <= now() OR NOT (username = ANY($1::varchar[])) RETURNING 1)
       SELECT count(*)::int AS ended FROM gone`,
      [configured],
    );
    return rows[0]?.ended ?? 0;
  }
}
