import {
  ApplicationFailure,
  condition,
  defineQuery,
  defineSignal,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  sleep,
  upsertMemo,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { TestActivities } from '../activities';

export const noteSignal = defineSignal<[string]>('note');
export const notesQuery = defineQuery<string[]>('notes');
export const doneSignal = defineSignal('done');

/** Collects notes until told it is done, answering queries meanwhile. */
export async function collectNotes(expected: number): Promise<string[]> {
  const notes: string[] = [];
  setHandler(noteSignal, (n) => void notes.push(n));
  setHandler(notesQuery, () => notes);
  await condition(() => notes.length >= expected);
  return notes;
}

/**
 * Holds its first workflow task open with a local activity while a signal arrives; then
 * completes at once. The signal must still be seen.
 */
export async function signalDuringTask(gate: string): Promise<string[]> {
  const notes: string[] = [];
  setHandler(noteSignal, (n) => void notes.push(n));
  const { waitAtGate } = proxyLocalActivities<TestActivities>({ startToCloseTimeout: '30s' });
  await waitAtGate(gate);
  return notes;
}

export async function sleepDays(days: number): Promise<number> {
  const t0 = Date.now();
  await sleep(`${days} days`);
  const { greet } = proxyActivities<TestActivities>({ startToCloseTimeout: '10s' });
  await greet('after the sleep');
  return Date.now() - t0;
}

/** Upserts search attributes and memo, then waits to be told it is done. */
export async function indexed(priority: number): Promise<string> {
  upsertSearchAttributes({ CustomIntField: [priority] });
  upsertMemo({ stage: 'indexed' });
  let done = false;
  setHandler(doneSignal, () => void (done = true));
  await condition(() => done);
  return workflowInfo().workflowId;
}

/** Fails on its first attempt: exercises the workflow retry policy. */
export async function failsOnce(): Promise<number> {
  const attempt = workflowInfo().attempt;
  if (attempt === 1) throw ApplicationFailure.create({ message: 'first attempt fails' });
  return attempt;
}

/** A local activity that outlives the workflow task timeout: the worker keeps the task alive by heartbeating it. */
export async function longLocalActivity(key: string, ms: number): Promise<number> {
  const { slow } = proxyLocalActivities<TestActivities>({ startToCloseTimeout: '1 minute' });
  return await slow(key, ms);
}
