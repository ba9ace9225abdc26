import { ActivityFailure, proxyActivities, sleep } from '@temporalio/workflow';
import type { TestActivities } from '../activities';

/** Completes with a result of `bytes` characters. */
export async function returnsOversized(bytes: number): Promise<string> {
  return 'x'.repeat(bytes);
}

/** Calls an activity that returns `bytes` characters; reports how the activity ended. */
export async function callsOversizedActivity(bytes: number): Promise<{ message?: string; nonRetryable?: boolean }> {
  const { oversized } = proxyActivities<TestActivities>({ startToCloseTimeout: '1 minute' });
  try {
    await oversized(bytes);
    return {};
  } catch (err) {
    if (!(err instanceof ActivityFailure)) throw err;
    return { message: err.cause?.message, nonRetryable: (err.cause as { nonRetryable?: boolean } | undefined)?.nonRetryable };
  }
}

/** Sleeps briefly forever: its history grows until something ends it. */
export async function growsForever(): Promise<never> {
  for (;;) await sleep(10);
}
