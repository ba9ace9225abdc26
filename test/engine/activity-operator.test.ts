import { temporal } from '@temporalio/proto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Probe } from './activities';
import { id, withTimeSkippingWorker } from './harness';

/** PauseActivity, UnpauseActivity and ResetActivity (and the standalone forms), as a heartbeating activity sees them. */
let env: TestWorkflowEnvironment;
let taskQueue: string;
let probe: Probe;
withTimeSkippingWorker((context) => ({ env, taskQueue, probe } = context));

const PA = temporal.api.enums.v1.PendingActivityState;

async function waitFor<T>(what: string, read: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`${what} never happened; last: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

test('a paused activity: its running attempt is cancelled with "paused", counts, and nothing runs until it is unpaused', async () => {
  const key = id('paused');
  const handle = await env.client.workflow.start('runsStoppable', { taskQueue, workflowId: key, args: [key, false] });
  await probe.reached(`${key}:heartbeating`);
  await env.connection.workflowService.pauseActivity({ namespace: 'default', execution: { workflowId: key }, id: '1', identity: 'operator', reason: 'carrier maintenance' });
  const pending = async (): Promise<temporal.api.workflow.v1.IPendingActivityInfo | undefined> => (await handle.describe()).raw.pendingActivities?.[0];
  const paused = await waitFor('the pause', pending, (a) => a?.state === PA.PENDING_ACTIVITY_STATE_PAUSED);
  expect(probe.stops.get(key)).toMatchObject({ paused: true, reset: false });
  expect(paused?.paused).toBe(true);
  expect(paused?.attempt).toBe(2);
  expect(paused?.pauseInfo?.manual).toMatchObject({ identity: 'operator', reason: 'carrier maintenance' });
  // Paused, it stays held: no attempt runs.
  await new Promise((resolve) => setTimeout(resolve, 300));
  expect(probe.attempts.get(key)).toHaveLength(1);
  const again = await env.connection.workflowService.pauseActivity({ namespace: 'default', execution: { workflowId: key }, id: '1' }).catch((e: Error) => e);
  expect((again as Error).message).toContain('activity is already paused');

  await env.connection.workflowService.unpauseActivity({ namespace: 'default', execution: { workflowId: key }, id: '1' });
  expect(await handle.result()).toBe(2);
});

test('a reset activity: its running attempt is cancelled with "reset", and the next attempt is attempt 1 again, at once', async () => {
  const key = id('reset');
  const handle = await env.client.workflow.start('runsStoppable', { taskQueue, workflowId: key, args: [key, true] });
  await probe.reached(`${key}:heartbeating`);
  await env.connection.workflowService.resetActivity({ namespace: 'default', execution: { workflowId: key }, id: '1' });
  expect(await handle.result()).toBe(1);
  expect(probe.stops.get(key)).toMatchObject({ reset: true, paused: false });
  expect(probe.attempts.get(key)!.map((a) => a.attempt)).toEqual([1, 2, 1]);
});

test('a standalone activity is paused and unpaused through its handle; describe says PAUSED meanwhile', async () => {
  const key = id('standalone-pause');
  const handle = await env.client.activity.start('stoppable', {
    id: key,
    taskQueue,
    args: [key, false],
    startToCloseTimeout: '1m',
    heartbeatTimeout: '5s',
    retry: { initialInterval: '1s' },
  });
  await probe.reached(`${key}:heartbeating`);
  await handle.pause({ reason: 'hold on' });
  const held = await waitFor(
    'the pause',
    () => handle.describe(),
    (d) => d.runState === 'PAUSED',
  );
  expect(held.status).toBe('PAUSED');
  expect(probe.stops.get(key)).toMatchObject({ paused: true });
  await handle.unpause();
  expect(await handle.result()).toBe(2);
});
