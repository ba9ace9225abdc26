import { randomUUID } from 'node:crypto';
import Long from 'long';
import { temporal } from '@temporalio/proto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import type { Probe } from './activities';
import { id, withTimeSkippingWorker, workflowsPath } from './harness';

/** ResetWorkflowExecution as the real server does it, seen from the SDK's client and worker. */
let env: TestWorkflowEnvironment;
let taskQueue: string;
let probe: Probe;
withTimeSkippingWorker((context) => ({ env, taskQueue, probe } = context));

const E = temporal.api.enums.v1;
type Event = temporal.api.history.v1.IHistoryEvent;

const history = async (workflowId: string, runId?: string): Promise<Event[]> => (await env.client.workflow.getHandle(workflowId, runId).fetchHistory()).events ?? [];
const types = (events: Event[]): string[] => events.map((e) => E.EventType[e.eventType!].replace('EVENT_TYPE_', ''));
const eventId = (events: Event[], type: string, nth = 1): number => Number(events.filter((e) => E.EventType[e.eventType!] === `EVENT_TYPE_${type}`)[nth - 1]?.eventId);

async function reset(
  workflowId: string,
  workflowTaskFinishEventId: number,
  extra: Partial<temporal.api.workflowservice.v1.IResetWorkflowExecutionRequest> = {},
): Promise<{ runId: string }> {
  const { runId } = await env.connection.workflowService.resetWorkflowExecution({
    namespace: 'default',
    workflowExecution: { workflowId },
    workflowTaskFinishEventId: Long.fromNumber(workflowTaskFinishEventId),
    reason: 'operator reset',
    requestId: randomUUID(),
    identity: 'support',
    ...extra,
  });
  if (!runId) throw new Error('the reset answered without a run id');
  return { runId };
}

async function waitFor<T>(what: string, read: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`${what} never happened; last: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

test('a running workflow reset to its first workflow task: the old run is terminated, the signals after the point are reapplied, and the new history replays', async () => {
  const key = id('reset-signals');
  const handle = await env.client.workflow.start('collectNotes', { taskQueue, workflowId: key, args: [3] });
  await handle.signal('note', 'a');
  await handle.signal('note', 'b');
  await waitFor(
    'two notes',
    () => handle.query<string[]>('notes'),
    (notes) => notes.length === 2,
  );
  const before = await history(key);
  const { runId } = await reset(key, eventId(before, 'WORKFLOW_TASK_COMPLETED'));
  expect(runId).not.toBe(handle.firstExecutionRunId);

  const old = await env.client.workflow.getHandle(key, handle.firstExecutionRunId).describe();
  expect(old.status.name).toBe('TERMINATED');
  expect(old.raw.workflowExtendedInfo?.resetRunId).toBe(runId);
  const oldEvents = await history(key, handle.firstExecutionRunId);
  expect(oldEvents.at(-1)?.workflowExecutionTerminatedEventAttributes).toMatchObject({ reason: 'operator reset', identity: 'history-resetter' });

  const renewed = env.client.workflow.getHandle(key, runId);
  await renewed.signal('note', 'c');
  expect(await renewed.result()).toEqual(['a', 'b', 'c']);
  const events = await history(key, runId);
  expect(types(events).slice(0, 6)).toEqual([
    'WORKFLOW_EXECUTION_STARTED',
    'WORKFLOW_TASK_SCHEDULED',
    'WORKFLOW_TASK_STARTED',
    'WORKFLOW_TASK_FAILED',
    'WORKFLOW_EXECUTION_SIGNALED',
    'WORKFLOW_EXECUTION_SIGNALED',
  ]);
  expect(events[3].workflowTaskFailedEventAttributes).toMatchObject({
    cause: E.WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_RESET_WORKFLOW,
    baseRunId: handle.firstExecutionRunId,
    newRunId: runId,
    identity: 'history-service',
    failure: { message: 'operator reset' },
  });
  // The copied start event is the base run's: same original run id, same start time.
  expect(events[0].workflowExecutionStartedEventAttributes?.originalExecutionRunId).toBe(handle.firstExecutionRunId);
  expect(Number(events[0].eventTime?.seconds)).toBe(Number(before[0].eventTime?.seconds));
  const described = await renewed.describe();
  expect(described.raw.workflowExtendedInfo?.lastResetTime).toBeTruthy();
  await Worker.runReplayHistory({ workflowsPath }, { events }, key);
});

test('reapply type NONE drops the later signals; a closed run can be reset and stays as it was', async () => {
  const key = id('reset-none');
  const handle = await env.client.workflow.start('collectNotes', { taskQueue, workflowId: key, args: [1] });
  await handle.signal('note', 'a');
  expect(await handle.result()).toEqual(['a']);
  const { runId } = await reset(key, eventId(await history(key), 'WORKFLOW_TASK_COMPLETED'), { resetReapplyType: E.ResetReapplyType.RESET_REAPPLY_TYPE_NONE });
  expect((await env.client.workflow.getHandle(key, handle.firstExecutionRunId).describe()).status.name).toBe('COMPLETED');
  const renewed = env.client.workflow.getHandle(key, runId);
  await waitFor(
    'the new run to take its task',
    () => history(key, runId),
    (events) => types(events).includes('WORKFLOW_TASK_COMPLETED'),
  );
  expect(types(await history(key, runId))).not.toContain('WORKFLOW_EXECUTION_SIGNALED');
  await renewed.signal('note', 'z');
  expect(await renewed.result()).toEqual(['z']);
});

test('a reset to a WorkflowTaskStarted event writes the started event again; a repeated request returns the same run', async () => {
  const key = id('reset-started');
  const handle = await env.client.workflow.start('collectNotes', { taskQueue, workflowId: key, args: [1] });
  await waitFor(
    'the first task',
    () => history(key),
    (events) => types(events).includes('WORKFLOW_TASK_COMPLETED'),
  );
  const requestId = randomUUID();
  const started = eventId(await history(key), 'WORKFLOW_TASK_STARTED');
  const first = await reset(key, started, { requestId });
  const again = await reset(key, started, { requestId });
  expect(again.runId).toBe(first.runId);
  const events = await history(key, first.runId);
  expect(types(events).slice(0, 4)).toEqual(['WORKFLOW_EXECUTION_STARTED', 'WORKFLOW_TASK_SCHEDULED', 'WORKFLOW_TASK_STARTED', 'WORKFLOW_TASK_FAILED']);
  expect(events[2].workflowTaskStartedEventAttributes?.identity).toBe('history-service');
  await handle.signal('note', 'after');
  expect(await env.client.workflow.getHandle(key, first.runId).result()).toEqual(['after']);
});

test('reset points the real server refuses', async () => {
  const key = id('reset-refused');
  const handle = await env.client.workflow.start('collectNotes', { taskQueue, workflowId: key, args: [2] });
  await handle.signal('note', 'a');
  await waitFor(
    'the note',
    () => handle.query<string[]>('notes'),
    (notes) => notes.length === 1,
  );
  const events = await history(key);
  const refusal = (eventId: number) => reset(key, eventId).catch((e: Error & { code?: number }) => e);
  expect(await refusal(1)).toMatchObject({ code: 3, message: expect.stringContaining('Workflow task finish ID must be > 1 && <= workflow last event ID.') });
  expect(await refusal(events.length + 1)).toMatchObject({ code: 3 });
  // After a completed task and the signal it answered, no task is pending.
  const afterCompleted = eventId(events, 'WORKFLOW_TASK_COMPLETED') + 1;
  expect(await refusal(afterCompleted + 1)).toMatchObject({
    code: 3,
    message: expect.stringContaining(`Can only reset workflow to event ID in range [WorkflowTaskScheduled +1, WorkflowTaskStarted + 1]: ${afterCompleted + 1}`),
  });
  expect((await handle.describe()).status.name).toBe('RUNNING');
  await handle.terminate();
});

test('an activity pending at the reset point is handed out again to the new run', async () => {
  const key = id('reset-activity');
  const handle = await env.client.workflow.start('notesWhileWorking', { taskQueue, workflowId: key, args: [key] });
  await probe.reached(`${key}:waiting`);
  await handle.signal('note', 'a');
  await waitFor(
    'the second task',
    () => history(key),
    (events) => types(events).filter((t) => t === 'WORKFLOW_TASK_COMPLETED').length === 2,
  );
  const { runId } = await reset(key, eventId(await history(key), 'WORKFLOW_TASK_COMPLETED', 2));
  await waitFor(
    'the activity handed out again',
    async () => probe.events.filter((e) => e === `${key}:waiting`).length,
    (n) => n === 2,
  );
  probe.open(key);
  expect(await env.client.workflow.getHandle(key, runId).result()).toEqual({ notes: ['a'], result: key });
});

test('updates after the point are admitted again with the default reapply type, and not with SIGNAL', async () => {
  const key = id('reset-update');
  const handle = await env.client.workflow.start('updatable', { taskQueue, workflowId: key });
  expect(await handle.executeUpdate('addNote', { args: ['x'] })).toBe('Hello, x!');
  const point = eventId(await history(key), 'WORKFLOW_TASK_COMPLETED');

  const signalsOnly = await reset(key, point, { resetReapplyType: E.ResetReapplyType.RESET_REAPPLY_TYPE_SIGNAL });
  await env.client.workflow.getHandle(key, signalsOnly.runId).signal('done');
  expect(await env.client.workflow.getHandle(key, signalsOnly.runId).result()).toEqual([]);

  const all = await reset(key, point, { workflowExecution: { workflowId: key, runId: handle.firstExecutionRunId } });
  const renewed = env.client.workflow.getHandle(key, all.runId);
  await waitFor(
    'the reapplied update to complete',
    () => history(key, all.runId),
    (events) => types(events).includes('WORKFLOW_EXECUTION_UPDATE_COMPLETED'),
  );
  await renewed.signal('done');
  expect(await renewed.result()).toEqual(['x']);
  const events = await history(key, all.runId);
  const admitted = events.find((e) => e.workflowExecutionUpdateAdmittedEventAttributes);
  expect(admitted?.workflowExecutionUpdateAdmittedEventAttributes).toMatchObject({
    origin: E.UpdateAdmittedEventOrigin.UPDATE_ADMITTED_EVENT_ORIGIN_REAPPLY,
    request: { input: { name: 'addNote' } },
  });
  // The accepted event does not repeat a request the admitted event holds.
  expect(events.find((e) => e.workflowExecutionUpdateAcceptedEventAttributes)?.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest).toBeFalsy();
  await Worker.runReplayHistory({ workflowsPath }, { events }, key);
});
