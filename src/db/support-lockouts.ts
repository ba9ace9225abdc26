import type { DataSource } from 'typeorm';

export interface LockoutRule {
  /** Failed sign-ins within `windowMs` that lock the user name. */
  maxFailures: number;
  windowMs: number;
  /** How long a locked name stays locked. */
  lockMs: number;
}

/**
 * The one home of `support_lockout`: failed sign-ins per user name. After `maxFailures`
 * within the window the name is locked for a while, whatever password comes next, so a
 * password cannot be guessed by trying. Names that do not exist are counted too, so a
 * lockout says nothing about which names exist.
 */
export class SupportLockouts {
  constructor(private readonly db: DataSource) {}

  /** Until when the name is locked, or null. */
  async lockedUntil(username: string): Promise<Date | null> {
    const rows: Array<{ locked_until: Date }> = await this.db.query('SELECT locked_until FROM support_lockout WHERE username = $1 AND locked_until > now()', [username]);
    return rows[0]?.locked_until ?? null;
  }

  /**
   * Counts a failed sign-in, in one statement (concurrent failures all count): a window that
   * has passed starts again at one. Returns the lock's end when this failure locked the name.
   */
  async recordFailure(username: string, rule: LockoutRule): Promise<Date | null> {
    const rows: Array<{ failures: number }> = await this.db.query(
      `INSERT INTO support_lockout AS l (username, failures, first_failure_at) VALUES ($1, 1, now())
       ON CONFLICT (username) DO UPDATE SET
         failures = CASE WHEN l.first_failure_at > now() - ($2::bigint * interval '1 millisecond') THEN l.failures + 1 ELSE 1 END,
         first_failure_at = CASE WHEN l.first_failure_at > now() - ($2::bigint * interval '1 millisecond') THEN l.first_failure_at ELSE now() END
       RETURNING failures`,
      [username, rule.windowMs],
    );
    if ((rows[0]?.failures ?? 0) < rule.maxFailures) return null;
    // As a CTE: TypeORM answers a bare UPDATE with [rows, count], a SELECT with its rows.
    const locked: Array<{ locked_until: Date }> = await this.db.query(
      `WITH lock AS (
         UPDATE support_lockout SET locked_until = now() + ($2::bigint * interval '1 millisecond'), failures = 0
          WHERE username = $1 RETURNING locked_until)
       SELECT locked_until FROM lock`,
      [username, rule.lockMs],
    );
    return locked[0]?.locked_until ?? null;
  }

  /** A successful sign-in forgets the failures before it. */
  async clear(username: string): Promise<void> {
    await this.db.query('DELETE FROM support_lockout WHERE username = $1', [username]);
  }
}
