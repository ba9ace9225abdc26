import type { DataSource } from 'typeorm';

/** The one home of `support_login_link`: one-time sign-in links (sandbox mode), by the SHA-256 of their token. */
export class SupportLoginLinks {
  constructor(private readonly db: DataSource) {}

  async create(tokenHash: string, username: string, expiresAt: Date): Promise<void> {
    await this.db.query('INSERT INTO support_login_link (token_hash, username, expires_at) VALUES ($1, $2, $3)', [tokenHash, username, expiresAt]);
  }

  /** Uses the link up, in one statement: of two requests racing with it, one gets the user name, the other null. */
  async consume(tokenHash: string): Promise<string | null> {
    // As a CTE: TypeORM answers a bare UPDATE with [rows, count], a SELECT with its rows.
    const rows: Array<{ username: string }> = await this.db.query(
      `WITH used AS (
         UPDATE support_login_link SET used_at = now()
          WHERE token_hash = $1 AND used_at IS NULL AND expires_at > now() RETURNING username)
       SELECT username FROM used`,
      [tokenHash],
    );
    return rows[0]?.username ?? null;
  }
}
