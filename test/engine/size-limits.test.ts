import { randomUUID } from 'node:crypto';
import { WorkflowFailedError } from '@temporalio/client';
import { TerminatedFailure } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { ENGINE_LAUNCHER } from '../helpers/temporal';
import { createActivities, Probe } from './activities';
import { id, workflowsPath } from './harness';

/**
 * The real server's limits on payloads (2 MiB, its default) and histories (lowered here with
 * the dev server's own --dynamic-config-value flag, so a test reaches them in seconds).
 */
let env: TestWorkflowEnvironment;
let worker: Worker;
let running: Promise<void>;
const taskQueue = `limits-${randomUUID()}`;
const OVER = 2 * 1024 * 1024 + 4096;

beforeAll(async () => {
  env = await TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: process.env.TEMPORAL_CLI_PATH ?? ENGINE_LAUNCHER },
      extraArgs: ['--dynamic-config-value', 'limit.historyCount.error=60'],
    },
  });
  worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowsPath, activities: createActivities(new Probe()) });
  running = worker.run();
});
afterAll(async () => {
  worker?.shutdown();
  await running;
  await env?.teardown();
});

const E = temporal.api.enums.v1;
const failureOf = async (p: Promise<unknown>): Promise<unknown> =>
  p.then(
    () => undefined,
    (e: unknown) => e,
  );

test('a start or a signal over the blob size limit is refused', async () => {
  const err = await failureOf(env.client.workflow.start('collectNotes', { taskQueue, workflowId: id('big-start'), args: ['x'.repeat(OVER)] }));
  expect(((err as Error).cause as Error).message).toContain('Blob data size exceeds limit.');
  const handle = await env.client.workflow.start('collectNotes', { taskQueue, workflowId: id('big-signal'), args: [1] });
  const signalled = await failureOf(handle.signal('note', 'x'.repeat(OVER)));
  expect(((signalled as Error).cause as Error).message).toContain('Blob data size exceeds limit.');
  await handle.terminate('test finished');
});

test('a workflow result over the blob size limit fails its task and terminates it, as the real server does', async () => {
  const handle = await env.client.workflow.start('returnsOversized', { taskQueue, workflowId: id('big-result'), args: [OVER] });
  const err = await failureOf(handle.result());
  expect(err).toBeInstanceOf(WorkflowFailedError);
  expect((err as WorkflowFailedError).cause).toBeInstanceOf(TerminatedFailure);
  expect((err as WorkflowFailedError).cause?.message).toBe('BadScheduleActivityAttributes: CompleteWorkflowExecutionCommandAttributes.Result exceeds size limit.');
  const events = (await handle.fetchHistory()).events!;
  const failed = events.find((e) => e.eventType === E.EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED)?.workflowTaskFailedEventAttributes;
  expect(failed?.cause).toBe(E.WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_BAD_SCHEDULE_ACTIVITY_ATTRIBUTES);
});

test('an activity result over the blob size limit fails the activity, without retries', async () => {
  const result = await env.client.workflow.execute('callsOversizedActivity', { taskQueue, workflowId: id('big-activity'), args: [OVER] });
  expect(result).toEqual({ message: 'Complete result exceeds size limit.', nonRetryable: true });
});

test('a history past the event limit terminates its workflow', async () => {
  const handle = await env.client.workflow.start('growsForever', { taskQueue, workflowId: id('long-history') });
  const err = await failureOf(handle.result());
  expect((err as WorkflowFailedError).cause).toBeInstanceOf(TerminatedFailure);
  expect((err as WorkflowFailedError).cause?.message).toBe('Workflow history size / count exceeds limit.');
  expect((await handle.fetchHistory()).events!.length).toBeLessThan(75);
});
