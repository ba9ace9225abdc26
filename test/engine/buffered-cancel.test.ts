import { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { createActivities, Probe } from './activities';
import { id, withInMemoryEngine, workflowsPath } from './harness';
import { goSignal } from './workflows/retries';

/**
 * A workflow task that cancels an activity which ended while the task ran (its end event still
 * in the buffer). The real server records the cancel request and writes the buffered end after
 * it; the engine turned such a task down (BadRequestCancelActivityAttributes), so the worker
 * failed the task and replayed. The crash storm met it with the fax workflow's polling backstop,
 * cancelled as a webhook told the outcome while the backstop's own poll had just found it.
 */
const t = withInMemoryEngine();
const probe = new Probe();
const taskQueue = id('buffered-cancel');

test('cancelling an activity whose end waits in the buffer: the request is recorded, then the end, and the task completes', async () => {
  const worker = await Worker.create({ connection: t.native, taskQueue, workflowsPath, activities: createActivities(probe) });
  await worker.runUntil(async () => {
    const gate = id('gate');
    const workflowId = id('cancel-ended');
    const handle = await t.client.workflow.start('cancelActivityEndedMidTask', { taskQueue, workflowId, args: [gate] });
    await probe.reached(`${gate}-activity:waiting`);
    await handle.signal(goSignal);
    // The task that will cancel the activity is running (held by its local activity)...
    await probe.reached(`${gate}-task:waiting`);
    // ...when the activity completes: its end is buffered until the task completes.
    probe.open(`${gate}-activity`);
    const deadline = Date.now() + 10_000;
    while ((await handle.describe()).raw.pendingActivities?.length) {
      if (Date.now() > deadline) throw new Error('the activity did not complete');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    probe.open(`${gate}-task`);
    expect(await handle.result()).toBe('cancelled');

    const history = await handle.fetchHistory();
    const types = history.events!.map((e) => temporal.api.enums.v1.EventType[e.eventType!].replace('EVENT_TYPE_', ''));
    expect(types).not.toContain('WORKFLOW_TASK_FAILED');
    const requested = types.indexOf('ACTIVITY_TASK_CANCEL_REQUESTED');
    expect(requested).toBeGreaterThan(0);
    // The request comes with the cancelling task's commands (the local activity's marker, the
    // workflow's next timer); the activity's end, buffered meanwhile, follows them.
    expect(types.slice(requested - 2, requested + 4)).toEqual([
      'WORKFLOW_TASK_COMPLETED',
      'MARKER_RECORDED',
      'ACTIVITY_TASK_CANCEL_REQUESTED',
      'TIMER_STARTED',
      'ACTIVITY_TASK_STARTED',
      'ACTIVITY_TASK_COMPLETED',
    ]);
    // The SDK replays that history as it ran.
    await Worker.runReplayHistory({ workflowsPath }, history, workflowId);
    expect(types).not.toContain('ACTIVITY_TASK_CANCELED');
    expect(types.at(-1)).toBe('WORKFLOW_EXECUTION_COMPLETED');
  });
});
