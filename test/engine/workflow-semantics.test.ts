import { WorkflowExecutionAlreadyStartedError, WorkflowFailedError } from '@temporalio/client';
import { TerminatedFailure, TimeoutFailure } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import type { Probe } from './activities';
import { id, withTimeSkippingWorker, workflowsPath } from './harness';
import { doneSignal, noteSignal, notesQuery } from './workflows/signals';

let env: TestWorkflowEnvironment;
let taskQueue: string;
let probe: Probe;
withTimeSkippingWorker((context) => ({ env, taskQueue, probe } = context));

const eventTypes = async (workflowId: string, runId?: string): Promise<string[]> =>
  (await env.client.workflow.getHandle(workflowId, runId).fetchHistory()).events!.map((e) => temporal.api.enums.v1.EventType[e.eventType!].replace('EVENT_TYPE_', ''));

const failureOf = async (p: Promise<unknown>): Promise<unknown> =>
  p.then(
    () => undefined,
    (e: unknown) => e,
  );

test('timers of 30 days are skipped, not waited for', async () => {
  const t0 = Date.now();
  const elapsed = await env.client.workflow.execute('sleepDays', { taskQueue, workflowId: id('sleep'), args: [30] });
  expect(elapsed).toBeGreaterThanOrEqual(30 * 86_400_000);
  // Typically ~0.1 s (bench/engine.ts measures it); the bound only proves no real waiting, even on a loaded machine.
  expect(Date.now() - t0).toBeLessThan(10_000);
});

test('a signal that arrives while a workflow task runs is buffered and seen before the workflow completes', async () => {
  const workflowId = id('buffered');
  const handle = await env.client.workflow.start('signalDuringTask', { taskQueue, workflowId, args: [workflowId] });
  await probe.reached(`${workflowId}:waiting`);
  await handle.signal(noteSignal, 'arrived mid-task');
  probe.open(workflowId);
  expect(await handle.result()).toEqual(['arrived mid-task']);
  const types = await eventTypes(workflowId);
  // The task that tried to complete without seeing the signal was turned down, as the real server does.
  expect(types).toContain('WORKFLOW_TASK_FAILED');
  expect(types.indexOf('WORKFLOW_EXECUTION_SIGNALED')).toBeGreaterThan(types.indexOf('WORKFLOW_TASK_STARTED'));
  expect(types.at(-1)).toBe('WORKFLOW_EXECUTION_COMPLETED');
});

test('a local activity that outlives the workflow task timeout keeps its task alive (task heartbeat)', async () => {
  const workflowId = id('local');
  const handle = await env.client.workflow.start('longLocalActivity', { taskQueue, workflowId, args: [workflowId, 3000], workflowTaskTimeout: '2s' });
  expect(await handle.result()).toBe(1);
  const types = await eventTypes(workflowId);
  expect(types).not.toContain('WORKFLOW_TASK_TIMED_OUT');
  expect(types.filter((t) => t === 'WORKFLOW_TASK_COMPLETED').length).toBeGreaterThanOrEqual(2);
  expect(types.slice(-2)).toEqual(['MARKER_RECORDED', 'WORKFLOW_EXECUTION_COMPLETED']);
});

test('queries answer before and after the workflow completes', async () => {
  const handle = await env.client.workflow.start('collectNotes', { taskQueue, workflowId: id('query'), args: [2] });
  await handle.signal(noteSignal, 'one');
  expect(await handle.query(notesQuery)).toEqual(['one']);
  await handle.signal(noteSignal, 'two');
  expect(await handle.result()).toEqual(['one', 'two']);
  expect(await handle.query(notesQuery)).toEqual(['one', 'two']);
});

test('starting a running workflow id again is rejected; conflict policies use or terminate the running one', async () => {
  const workflowId = id('dup');
  const first = await env.client.workflow.start('collectNotes', { taskQueue, workflowId, args: [1] });
  const err = await failureOf(env.client.workflow.start('collectNotes', { taskQueue, workflowId, args: [1] }));
  expect(err).toBeInstanceOf(WorkflowExecutionAlreadyStartedError);

  const same = await env.client.workflow.start('collectNotes', { taskQueue, workflowId, args: [1], workflowIdConflictPolicy: 'USE_EXISTING' });
  expect(same.firstExecutionRunId).toBe(first.firstExecutionRunId);

  const fresh = await env.client.workflow.start('collectNotes', { taskQueue, workflowId, args: [1], workflowIdConflictPolicy: 'TERMINATE_EXISTING' });
  expect(fresh.firstExecutionRunId).not.toBe(first.firstExecutionRunId);
  expect((await env.client.workflow.getHandle(workflowId, first.firstExecutionRunId).describe()).status.name).toBe('TERMINATED');
  await fresh.signal(noteSignal, 'x');
  expect(await fresh.result()).toEqual(['x']);
});

test('reuse policies decide whether a closed workflow id may start again', async () => {
  const workflowId = id('reuse');
  const done = await env.client.workflow.start('collectNotes', { taskQueue, workflowId, args: [1] });
  await done.signal(noteSignal, 'x');
  await done.result();
  const rejected = await failureOf(env.client.workflow.start('collectNotes', { taskQueue, workflowId, args: [1], workflowIdReusePolicy: 'REJECT_DUPLICATE' }));
  expect(rejected).toBeInstanceOf(WorkflowExecutionAlreadyStartedError);
  const failedOnly = await failureOf(env.client.workflow.start('collectNotes', { taskQueue, workflowId, args: [1], workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY' }));
  expect(failedOnly).toBeInstanceOf(WorkflowExecutionAlreadyStartedError);
  const again = await env.client.workflow.start('collectNotes', { taskQueue, workflowId, args: [1], workflowIdReusePolicy: 'ALLOW_DUPLICATE' });
  await again.terminate('make room');
  // The last run was terminated (not completed): "failed only" now allows a new run.
  const afterFailure = await env.client.workflow.start('collectNotes', { taskQueue, workflowId, args: [1], workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY' });
  expect(afterFailure.firstExecutionRunId).not.toBe(again.firstExecutionRunId);
  await afterFailure.terminate('cleanup');
});

test('signal-with-start starts once and then signals the running workflow', async () => {
  const workflowId = id('sws');
  const a = await env.client.workflow.signalWithStart('collectNotes', { taskQueue, workflowId, args: [2], signal: noteSignal, signalArgs: ['first'] });
  const b = await env.client.workflow.signalWithStart('collectNotes', { taskQueue, workflowId, args: [2], signal: noteSignal, signalArgs: ['second'] });
  expect(b.signaledRunId).toBe(a.signaledRunId);
  expect(await a.result()).toEqual(['first', 'second']);
});

test('terminate ends a workflow with the reason', async () => {
  const handle = await env.client.workflow.start('collectNotes', { taskQueue, workflowId: id('terminate'), args: [5] });
  await handle.terminate('no longer needed');
  const err = await failureOf(handle.result());
  expect(err).toBeInstanceOf(WorkflowFailedError);
  expect((err as WorkflowFailedError).cause).toBeInstanceOf(TerminatedFailure);
  expect((err as WorkflowFailedError).cause?.message).toBe('no longer needed');
  expect((await handle.describe()).status.name).toBe('TERMINATED');
});

test('child workflows: results, failures, and the parent close policy', async () => {
  const greeting = id('parent');
  expect(await env.client.workflow.execute('parentOfGreeting', { taskQueue, workflowId: greeting, args: ['Ada'] })).toBe('child says hi to Ada');
  const child = await env.client.workflow.getHandle(`${greeting}-child`).describe();
  expect(child.parentExecution?.workflowId).toBe(greeting);

  expect(await env.client.workflow.execute('parentOfFailure', { taskQueue, workflowId: id('parent') })).toBe('child failed: ChildBroke');
  expect(await env.client.workflow.execute('parentOfRetriedChild', { taskQueue, workflowId: id('parent') })).toBe(2);

  const leaving = id('parent');
  const childId = await env.client.workflow.execute('parentLeavesChild', { taskQueue, workflowId: leaving });
  expect((await env.client.workflow.getHandle(childId).describe()).status.name).toBe('TERMINATED');
});

test('a parent cancels its child; a workflow signals another, and signalling a missing one fails', async () => {
  const parent = id('parent');
  expect(await env.client.workflow.execute('parentCancelsChild', { taskQueue, workflowId: parent })).toBe('child cancelled');
  expect((await env.client.workflow.getHandle(`${parent}-child`).describe()).status.name).toBe('CANCELLED');

  const target = await env.client.workflow.start('collectNotes', { taskQueue, workflowId: id('target'), args: [1] });
  expect(await env.client.workflow.execute('signalsAnother', { taskQueue, workflowId: id('signaller'), args: [target.workflowId] })).toBe('signalled; the missing one failed');
  expect(await target.result()).toEqual(['from a workflow']);
});

test('continue-as-new chains runs; result() follows the chain', async () => {
  const workflowId = id('can');
  const handle = await env.client.workflow.start('countdown', { taskQueue, workflowId, args: [3] });
  const result = await handle.result();
  expect(result.runs).toBe(4);
  expect(result.firstRunId).toBe(handle.firstExecutionRunId);
  expect((await env.client.workflow.getHandle(workflowId, handle.firstExecutionRunId).describe()).status.name).toBe('CONTINUED_AS_NEW');
  const runs = [];
  for await (const w of env.client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) runs.push(w.status.name);
  expect(runs.sort()).toEqual(['COMPLETED', 'CONTINUED_AS_NEW', 'CONTINUED_AS_NEW', 'CONTINUED_AS_NEW']);
});

test('memo and search attributes are stored, upserted, described and searchable', async () => {
  const tag = id('tag');
  const before = new Date(await env.currentTimeMs()).toISOString();
  const handles = await Promise.all(
    [1, 2, 3].map((priority) =>
      env.client.workflow.start('indexed', {
        taskQueue,
        workflowId: `${tag}-${priority}`,
        args: [priority],
        memo: { customer: `c${priority}` },
        searchAttributes: { CustomKeywordField: [tag] },
      }),
    ),
  );
  for (const h of handles) await h.query('__stack_trace').catch(() => undefined);
  await handles[0].signal(doneSignal);
  await handles[0].result();

  const described = await handles[1].describe();
  expect(described.memo).toEqual({ customer: 'c2', stage: 'indexed' });
  expect(described.searchAttributes).toMatchObject({ CustomKeywordField: [tag], CustomIntField: [2] });

  const ids = async (query: string): Promise<string[]> => {
    const out: string[] = [];
    for await (const w of env.client.workflow.list({ query })) out.push(w.workflowId);
    return out.sort();
  };
  expect(await ids(`CustomKeywordField = '${tag}'`)).toEqual([`${tag}-1`, `${tag}-2`, `${tag}-3`]);
  expect(await ids(`CustomKeywordField = '${tag}' AND ExecutionStatus = 'Running'`)).toEqual([`${tag}-2`, `${tag}-3`]);
  expect(await ids(`CustomKeywordField = '${tag}' AND (CustomIntField >= 3 OR ExecutionStatus = 'Completed')`)).toEqual([`${tag}-1`, `${tag}-3`]);
  expect(await ids(`CustomKeywordField = '${tag}' AND WorkflowType = 'indexed' AND StartTime >= '${before}'`)).toHaveLength(3);
  expect(await ids(`CustomKeywordField = '${tag}' AND StartTime < '${before}'`)).toEqual([]);
  expect((await env.client.workflow.count(`CustomKeywordField = '${tag}'`)).count).toBe(3);
  for (const h of handles.slice(1)) await h.terminate('cleanup');
});

test('a workflow past its run timeout times out', async () => {
  const handle = await env.client.workflow.start('sleepDays', { taskQueue, workflowId: id('timeout'), args: [2], workflowRunTimeout: '1 day' });
  const err = await failureOf(handle.result());
  expect(err).toBeInstanceOf(WorkflowFailedError);
  expect((err as WorkflowFailedError).cause).toBeInstanceOf(TimeoutFailure);
  expect((await handle.describe()).status.name).toBe('TIMED_OUT');
});

test('the execution timeout ends the workflow for good, retry policy or not', async () => {
  const workflowId = id('exec-timeout');
  const handle = await env.client.workflow.start('sleepDays', {
    taskQueue,
    workflowId,
    args: [3],
    workflowExecutionTimeout: '1 day',
    retry: { maximumAttempts: 5, initialInterval: '1s' },
  });
  const err = await failureOf(handle.result());
  expect(err).toBeInstanceOf(WorkflowFailedError);
  expect((err as WorkflowFailedError).cause).toBeInstanceOf(TimeoutFailure);
  expect((await env.client.workflow.count(`WorkflowId = '${workflowId}'`)).count).toBe(1);
});

test('a workflow retry policy starts a new run after a failure', async () => {
  const workflowId = id('wf-retry');
  const result = await env.client.workflow.execute('failsOnce', { taskQueue, workflowId, retry: { initialInterval: '1 minute', maximumAttempts: 3 } });
  expect(result).toBe(2);
  const statuses = [];
  for await (const w of env.client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) statuses.push(w.status.name);
  expect(statuses.sort()).toEqual(['COMPLETED', 'FAILED']);
});

test('every history this file produced replays deterministically on a fresh worker', async () => {
  const histories = [];
  for await (const w of env.client.workflow.list({ query: `TaskQueue = '${taskQueue}' AND ExecutionStatus != 'Running'` })) {
    histories.push({ workflowId: w.workflowId, history: await env.client.workflow.getHandle(w.workflowId, w.runId).fetchHistory() });
  }
  expect(histories.length).toBeGreaterThan(20);
  let replayed = 0;
  for await (const result of Worker.runReplayHistories({ workflowsPath }, histories)) {
    expect(result.error).toBeUndefined();
    replayed++;
  }
  expect(replayed).toBe(histories.length);
});
