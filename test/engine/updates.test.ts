import { WorkflowUpdateFailedError } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { createTimeSkippingEnv } from '../helpers/temporal';
import { id, startWorker, workflowsPath } from './harness';
import { doneSignal } from './workflows/signals';
import { addNoteUpdate } from './workflows/updates';

let env: TestWorkflowEnvironment;
let worker: Worker;
let running: Promise<void>;
let taskQueue: string;

beforeAll(async () => {
  env = await createTimeSkippingEnv();
  ({ worker, taskQueue, running } = await startWorker(env));
});
afterAll(async () => {
  worker?.shutdown();
  await running;
  await env?.teardown();
});

test('updates: executed, rejected by the validator, started and awaited; recorded in history', async () => {
  const handle = await env.client.workflow.start('updatable', { taskQueue, workflowId: id('update') });
  expect(await handle.executeUpdate(addNoteUpdate, { args: ['first'] })).toBe('Hello, first!');

  const rejected = await handle.executeUpdate(addNoteUpdate, { args: [''] }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(rejected).toBeInstanceOf(WorkflowUpdateFailedError);

  const started = await handle.startUpdate(addNoteUpdate, { args: ['second'], waitForStage: 'ACCEPTED', updateId: 'note-2' });
  expect(await started.result()).toBe('Hello, second!');
  // The same update id again is the same update, not a new one.
  expect(await handle.executeUpdate(addNoteUpdate, { args: ['second'], updateId: 'note-2' })).toBe('Hello, second!');

  await handle.signal(doneSignal);
  expect(await handle.result()).toEqual(['first', 'second']);
  const types = (await handle.fetchHistory()).events!.map((e) => temporal.api.enums.v1.EventType[e.eventType!]);
  expect(types.filter((t) => t === 'EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED')).toHaveLength(2);
  expect(types.filter((t) => t === 'EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED')).toHaveLength(2);
  // The history replays deterministically on a fresh worker.
  await Worker.runReplayHistory({ workflowsPath }, await handle.fetchHistory(), handle.workflowId);
});
