import { condition, proxyActivities, setHandler } from '@temporalio/workflow';
import type { TestActivities } from '../activities';
import { noteSignal } from './signals';

/** Takes notes while a gated activity runs; returns both once the activity is done and a note came. */
export async function notesWhileWorking(gate: string): Promise<{ notes: string[]; result: string }> {
  const notes: string[] = [];
  setHandler(noteSignal, (n) => void notes.push(n));
  const { waitAtGate } = proxyActivities<TestActivities>({ startToCloseTimeout: '1 minute' });
  const result = await waitAtGate(gate);
  await condition(() => notes.length > 0);
  return { notes, result };
}
