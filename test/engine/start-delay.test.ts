import { randomUUID } from 'node:crypto';
import { temporal } from '@temporalio/proto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { createLocalEnv } from '../helpers/temporal';
import { createActivities, Probe } from './activities';
import { id, workflowsPath } from './harness';
import { noteSignal } from './workflows/signals';
import { addNoteUpdate } from './workflows/updates';

/**
 * A workflow waiting out its start delay, on the dev-server shape (real time: an hour's delay
 * really is an hour). The real server starts it at once for an update or a signal-with-start,
 * and leaves it waiting for a plain signal.
 */
let env: TestWorkflowEnvironment;
let worker: Worker;
let running: Promise<void>;
const taskQueue = `delay-${randomUUID()}`;

beforeAll(async () => {
  env = await createLocalEnv();
  worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowsPath, activities: createActivities(new Probe()) });
  running = worker.run();
});
afterAll(async () => {
  worker?.shutdown();
  await running;
  await env?.teardown();
});

const E = temporal.api.enums.v1;
const typesOf = async (workflowId: string): Promise<string[]> =>
  (await env.client.workflow.getHandle(workflowId).fetchHistory()).events!.map((e) => E.EventType[e.eventType!].replace('EVENT_TYPE_', ''));

/** Settles within `ms` or reports that it did not. */
const within = <T>(ms: number, p: Promise<T>): Promise<T | 'still waiting'> =>
  Promise.race([p, new Promise<'still waiting'>((resolve) => setTimeout(() => resolve('still waiting'), ms))]);

test('an update to a workflow waiting out its start delay starts it at once', async () => {
  const handle = await env.client.workflow.start('updatable', { taskQueue, workflowId: id('delayed-update'), startDelay: '1 hour' });
  expect(await within(15_000, handle.executeUpdate(addNoteUpdate, { args: ['early'] }))).toBe('Hello, early!');
  await handle.terminate('test finished');
});

test('signal-with-start wakes a workflow waiting out its start delay; a plain signal leaves it waiting', async () => {
  const workflowId = id('delayed-signal');
  const handle = await env.client.workflow.start('collectNotes', { taskQueue, workflowId, args: [2], startDelay: '1 hour' });
  await handle.signal(noteSignal, 'plain');
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  expect(await typesOf(workflowId)).toEqual(['WORKFLOW_EXECUTION_STARTED', 'WORKFLOW_EXECUTION_SIGNALED']);

  await env.client.workflow.signalWithStart('collectNotes', { taskQueue, workflowId, args: [2], signal: noteSignal, signalArgs: ['with start'], startDelay: '1 hour' });
  expect(await within(15_000, handle.result())).toEqual(['plain', 'with start']);
});
