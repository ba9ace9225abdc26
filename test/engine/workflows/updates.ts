import { condition, defineUpdate, proxyActivities, setHandler } from '@temporalio/workflow';
import type { TestActivities } from '../activities';
import { doneSignal } from './signals';

export const addNoteUpdate = defineUpdate<string, [string]>('addNote');

/** Takes notes by update (validated: no empty notes) until told it is done. */
export async function updatable(): Promise<string[]> {
  const { greet } = proxyActivities<TestActivities>({ startToCloseTimeout: '10s' });
  const notes: string[] = [];
  let done = false;
  setHandler(
    addNoteUpdate,
    async (note) => {
      notes.push(note);
      return await greet(note);
    },
    {
      validator: (note) => {
        if (!note) throw new Error('empty note');
      },
    },
  );
  setHandler(doneSignal, () => void (done = true));
  await condition(() => done);
  return notes;
}

export const waitForeverUpdate = defineUpdate<string, []>('waitForever');

/** Accepts an update whose handler never finishes, and completes when told to: the update outlives it. */
export async function leavesUpdateUnfinished(): Promise<string> {
  let done = false;
  setHandler(waitForeverUpdate, async () => {
    await condition(() => false);
    return 'never';
  });
  setHandler(doneSignal, () => void (done = true));
  await condition(() => done);
  return 'done';
}
