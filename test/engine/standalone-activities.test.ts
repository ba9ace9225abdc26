import { ActivityExecutionAlreadyStartedError, ActivityExecutionFailedError } from '@temporalio/client';
import { ApplicationFailure, CancelledFailure, TerminatedFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Probe } from './activities';
import { id, withTimeSkippingWorker } from './harness';

/** Activities started by a client, with no workflow (StartActivityExecution and its calls), through the SDK's ActivityClient. */
let env: TestWorkflowEnvironment;
let taskQueue: string;
let probe: Probe;
withTimeSkippingWorker((context) => ({ env, taskQueue, probe } = context));

const failureOf = async (p: Promise<unknown>): Promise<unknown> =>
  p.then(
    () => undefined,
    (e: unknown) => e,
  );

test('a standalone activity runs on a worker and returns its result; describe and list see it', async () => {
  const activityId = id('standalone');
  const handle = await env.client.activity.start('greet', { id: activityId, taskQueue, args: ['Ada'], startToCloseTimeout: '10s' });
  expect(handle.runId).toBeTruthy();
  expect(await handle.result()).toBe('Hello, Ada!');
  const described = await handle.describe({ includeInput: true, includeOutcome: true });
  expect(described.status).toBe('COMPLETED');
  expect(await described.getInput()).toEqual(['Ada']);
  expect(await described.getResult()).toBe('Hello, Ada!');
  const listed = [];
  for await (const info of env.client.activity.list(`ActivityId = '${activityId}'`)) listed.push(info.activityId);
  expect(listed).toEqual([activityId]);
  expect((await env.client.activity.count(`ActivityType = 'greet' AND ActivityId = '${activityId}'`)).count).toBe(1);
  // Standalone activities are not workflows.
  expect((await env.client.workflow.count(`WorkflowId = '${activityId}'`)).count).toBe(0);
});

test('retries follow the retry policy; a non-retryable failure ends it with ActivityExecutionFailedError', async () => {
  const key = id('flaky');
  const retried = await env.client.activity.execute('flaky', { id: key, taskQueue, args: [key, 3], startToCloseTimeout: '10s', retry: { initialInterval: '1s' } });
  expect(retried).toBe(3);
  const declined = await failureOf(
    env.client.activity.execute('declines', {
      id: id('declines'),
      taskQueue,
      args: [id('k'), 'CardDeclined'],
      startToCloseTimeout: '10s',
      retry: { nonRetryableErrorTypes: ['CardDeclined'] },
    }),
  );
  expect(declined).toBeInstanceOf(ActivityExecutionFailedError);
  expect(((declined as ActivityExecutionFailedError).cause as ApplicationFailure).type).toBe('CardDeclined');
});

test('an activity id already running is refused, or reused with USE_EXISTING', async () => {
  const activityId = id('dup');
  const first = await env.client.activity.start('sendSlowly', { id: activityId, taskQueue, args: [activityId], startToCloseTimeout: '1m', heartbeatTimeout: '5s' });
  const err = await failureOf(env.client.activity.start('sendSlowly', { id: activityId, taskQueue, args: [activityId], startToCloseTimeout: '1m' }));
  expect(err).toBeInstanceOf(ActivityExecutionAlreadyStartedError);
  const same = await env.client.activity.start('sendSlowly', { id: activityId, taskQueue, args: [activityId], startToCloseTimeout: '1m', idConflictPolicy: 'USE_EXISTING' });
  expect(same.runId).toBe(first.runId);
  // Cancellation reaches the running attempt through its heartbeat.
  await probe.reached(`${activityId}:started`);
  await first.cancel('no longer needed');
  const cancelled = await failureOf(first.result());
  expect(cancelled).toBeInstanceOf(ActivityExecutionFailedError);
  expect((cancelled as ActivityExecutionFailedError).cause).toBeInstanceOf(CancelledFailure);
  expect((await first.describe()).status).toBe('CANCELED');
});

test('terminate ends a standalone activity at once; async completion by id completes another', async () => {
  const waiting = await env.client.activity.start('greet', { id: id('nobody'), taskQueue: 'nobody-polls-this', args: ['x'], startToCloseTimeout: '10s' });
  await waiting.terminate('not needed');
  const terminated = await failureOf(waiting.result());
  expect((terminated as ActivityExecutionFailedError).cause).toBeInstanceOf(TerminatedFailure);

  const activityId = id('async');
  const later = await env.client.activity.start('completeLater', { id: activityId, taskQueue, startToCloseTimeout: '1m' });
  await probe.reached('async:started');
  await env.client.activity.complete({ activityId }, 'completed from outside');
  expect(await later.result()).toBe('completed from outside');
});
