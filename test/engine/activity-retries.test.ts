import { WorkflowFailedError } from '@temporalio/client';
import { CancelledFailure } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Probe } from './activities';
import { id, withTimeSkippingWorker } from './harness';

let env: TestWorkflowEnvironment;
let taskQueue: string;
let probe: Probe;
withTimeSkippingWorker((context) => ({ env, taskQueue, probe } = context));

test('retries follow the policy: attempt numbers and backoff gaps (2s, 6s, then capped at 10s)', async () => {
  const key = id('backoff');
  const result = await env.client.workflow.execute('retryWithBackoff', { taskQueue, workflowId: key, args: [key, 4] });
  expect(result).toEqual({ ok: true, value: 4 });
  const seen = probe.attempts.get(key)!;
  expect(seen.map((a) => a.attempt)).toEqual([1, 2, 3, 4]);
  const gaps = seen.slice(1).map((a, i) => a.scheduledMs - seen[i].scheduledMs);
  const expected = [2000, 6000, 10000];
  gaps.forEach((gap, i) => {
    expect(gap).toBeGreaterThanOrEqual(expected[i]);
    expect(gap).toBeLessThan(expected[i] + 1000);
  });
});

test('an activity waiting to be retried reports the interval it waits and when its next attempt comes, as the real server does', async () => {
  const key = id('backoff-described');
  const handle = await env.client.workflow.start('retryWithBackoff', { taskQueue, workflowId: key, args: [key, 3] });
  const deadline = Date.now() + 20_000;
  let pending: temporal.api.workflow.v1.IPendingActivityInfo | undefined;
  // Attempt 1 failed: the 2 s backoff before attempt 2.
  while (!(pending?.attempt === 2 && pending.nextAttemptScheduleTime)) {
    if (Date.now() > deadline) throw new Error(`no backoff seen; last: ${JSON.stringify(pending)}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
    pending = (await handle.describe()).raw.pendingActivities?.[0];
  }
  const ms = (t: temporal.api.workflow.v1.IPendingActivityInfo['nextAttemptScheduleTime']): number => Number(t?.seconds ?? 0) * 1000 + Math.round((t?.nanos ?? 0) / 1e6);
  expect(pending.state).toBe(temporal.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_SCHEDULED);
  expect(Number(pending.currentRetryInterval?.seconds ?? 0) * 1000 + Math.round((pending.currentRetryInterval?.nanos ?? 0) / 1e6)).toBe(2000);
  expect(ms(pending.nextAttemptScheduleTime) - ms(pending.lastAttemptCompleteTime)).toBe(2000);
  // The attempt is scheduled for then too: the Temporal UI shows it as the next retry.
  expect(ms(pending.scheduledTime)).toBe(ms(pending.nextAttemptScheduleTime));
  expect(await handle.result()).toEqual({ ok: true, value: 3 });
});

test('a non-retryable error type fails the activity on attempt 1', async () => {
  const key = id('declined');
  const result = await env.client.workflow.execute('nonRetryable', { taskQueue, workflowId: key, args: [key] });
  expect(result).toMatchObject({ ok: false, retryState: 'NON_RETRYABLE_FAILURE', causeType: 'CardDeclined' });
  expect(probe.attempts.get(key)!.map((a) => a.attempt)).toEqual([1]);
});

test('maximum attempts end the retries', async () => {
  const key = id('limited');
  const result = await env.client.workflow.execute('limitedAttempts', { taskQueue, workflowId: key, args: [key] });
  expect(result).toMatchObject({ ok: false, retryState: 'MAXIMUM_ATTEMPTS_REACHED' });
  expect(probe.attempts.get(key)!.map((a) => a.attempt)).toEqual([1, 2, 3]);
});

test('the schedule-to-close timeout ends retries before the next attempt would start too late', async () => {
  const key = id('bounded');
  // Attempts at 0s, 2s and 6s; the next would start at 14s, past the 10s schedule-to-close timeout.
  const result = await env.client.workflow.execute('scheduleToCloseBound', { taskQueue, workflowId: key, args: [key] });
  expect(result).toMatchObject({ ok: false, retryState: 'TIMEOUT' });
  expect(probe.attempts.get(key)!.map((a) => a.attempt)).toEqual([1, 2, 3]);
});

test('a heartbeat timeout retries the activity, handing the last heartbeat details to the next attempt', async () => {
  const key = id('heartbeat');
  const result = await env.client.workflow.execute('heartbeatTimeout', { taskQueue, workflowId: key, args: [key] });
  expect(result).toEqual({ ok: true, value: 'page-7' });
  const seen = probe.attempts.get(key)!;
  expect(seen.map((a) => a.attempt)).toEqual([1, 2]);
  expect(seen[0].heartbeatDetails).toBeUndefined();
  expect(seen[1].heartbeatDetails).toBe('page-7');
});

test('an activity nobody picks up times out schedule-to-start, without retries', async () => {
  const result = await env.client.workflow.execute('nobodyPolls', { taskQueue, workflowId: id('unpolled') });
  expect(result).toMatchObject({ ok: false, retryState: 'TIMEOUT', causeName: 'TimeoutFailure', timeoutType: 'SCHEDULE_TO_START' });
});

test('an attempt that outlives its start-to-close timeout is retried with its heartbeat details', async () => {
  const key = id('stc');
  const result = await env.client.workflow.execute('startToCloseRetry', { taskQueue, workflowId: key, args: [key] });
  expect(result).toEqual({ ok: true, value: 'page-3' });
  expect(probe.attempts.get(key)!.map((a) => a.attempt)).toEqual([1, 2]);
});

test('cancelling the workflow reaches a heartbeating activity, and the compensation still runs', async () => {
  const key = id('cancel');
  const handle = await env.client.workflow.start('cancellableSend', { taskQueue, workflowId: key, args: [key] });
  await probe.reached(`${key}:started`);
  await handle.cancel();
  const err = await handle.result().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WorkflowFailedError);
  expect((err as WorkflowFailedError).cause).toBeInstanceOf(CancelledFailure);
  expect(probe.events).toEqual(expect.arrayContaining([`${key}:cancelled`, `${key}:compensated`]));
  const types = (await handle.fetchHistory()).events!.map((e) => temporal.api.enums.v1.EventType[e.eventType!]);
  const at = (t: string): number => types.indexOf(`EVENT_TYPE_${t}`);
  expect(at('WORKFLOW_EXECUTION_CANCEL_REQUESTED')).toBeGreaterThan(0);
  expect(at('ACTIVITY_TASK_CANCEL_REQUESTED')).toBeGreaterThan(at('WORKFLOW_EXECUTION_CANCEL_REQUESTED'));
  expect(at('ACTIVITY_TASK_CANCELED')).toBeGreaterThan(at('ACTIVITY_TASK_CANCEL_REQUESTED'));
  expect(types.at(-1)).toBe('EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED');
});

test('an activity completed asynchronously by its id', async () => {
  const key = id('async');
  const handle = await env.client.workflow.start('asyncCompletion', { taskQueue, workflowId: key });
  await probe.reached('async:started');
  await env.client.activity.complete({ workflowId: key, activityId: '1' }, 'done elsewhere');
  expect(await handle.result()).toBe('done elsewhere');
});
