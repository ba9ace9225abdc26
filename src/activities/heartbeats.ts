import { Context } from '@temporalio/activity';

/** Well inside the heartbeat timeouts of the activities that beat (20–30 s, src/workflows/fax-activities.ts). */
const HEARTBEAT_MS = 5_000;

/**
 * Runs `work` while the activity heartbeats every 5 s: alive from start to end, so a worker that
 * dies under it is noticed within the heartbeat timeout and the activity tried again, instead of
 * after its whole start-to-close timeout.
 */
export async function whileBeating<T>(work: () => Promise<T>): Promise<T> {
  const context = Context.current();
  const beating = setInterval(() => context.heartbeat(), HEARTBEAT_MS);
  try {
    return await work();
  } finally {
    clearInterval(beating);
  }
}
