/**
 * What the benchmarks read from PostgreSQL, the read model: how many faxes have finished,
 * and how long each took by the server's own timestamps.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import { Client as PgClient } from 'pg';

export interface Snapshot {
  /** performance.now() of the count. */
  at: number;
  /** Delivered and captured. */
  done: number;
  /** Ended any other way. */
  failed: number;
}

export interface CompletionWatcher {
  /** Every count so far, oldest first. */
  snapshots: Snapshot[];
  latest(): Snapshot;
  stop(): Promise<void>;
}

/** Counts the finished faxes every `intervalMs` until stopped. */
export function watchCompletions(databaseUrl: string, intervalMs: number): CompletionWatcher {
  const db = new PgClient({ connectionString: databaseUrl });
  const snapshots: Snapshot[] = [];
  let running = true;
  const loop = (async () => {
    await db.connect();
    try {
      while (running) {
        const { rows } = await db.query<{ done: string; failed: string }>(
          `SELECT count(*) FILTER (WHERE status = 'delivered' AND payment_state = 'captured') AS done,
                  count(*) FILTER (WHERE status IN ('rejected', 'expired', 'cancelled', 'failed')) AS failed
             FROM fax`,
        );
        snapshots.push({ at: performance.now(), done: Number(rows[0].done), failed: Number(rows[0].failed) });
        await delay(intervalMs);
      }
    } finally {
      await db.end();
    }
  })();
  return {
    snapshots,
    latest: () => snapshots.at(-1) ?? { at: performance.now(), done: 0, failed: 0 },
    stop: async () => {
      running = false;
      await loop;
    },
  };
}

/** The first time the count of completed faxes reached `target`; NaN if it never did. */
export function reached(snapshots: Snapshot[], target: number): number {
  return snapshots.find((s) => s.done >= target)?.at ?? NaN;
}

/** Per delivered fax, in ms: upload → completed, and payment confirmed → completed. */
export async function serverTimes(databaseUrl: string): Promise<{ total: number[]; afterPayment: number[] }> {
  const db = new PgClient({ connectionString: databaseUrl });
  await db.connect();
  try {
    const { rows } = await db.query<{ total: number; after_payment: number }>(
      `SELECT extract(epoch FROM completed_at - created_at) * 1000 AS total,
              extract(epoch FROM completed_at - paid_at) * 1000 AS after_payment
         FROM fax WHERE status = 'delivered'`,
    );
    return { total: rows.map((r) => Number(r.total)), afterPayment: rows.map((r) => Number(r.after_payment)) };
  } finally {
    await db.end();
  }
}
