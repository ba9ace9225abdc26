import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import Long from 'long';
import { Client, Connection, WorkflowUpdateStage } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { temporal } from '@temporalio/proto';
import { startEngine, type RunningEngine } from '../../src/engine';
import { silentLogger } from '../../src/log';
import { createActivities, Probe } from './activities';
import { id, workflowsPath } from './harness';

/**
 * Idle runs paged out of memory: with `history.cacheTTL` at 0 every run goes out as soon as
 * nothing is in flight, so each signal, query, update, describe, history read, list, reset,
 * batch and timer below reaches a run that is on disk (or, in memory, in a compact buffer)
 * and must be loaded back whole.
 */
const E = temporal.api.enums.v1;
const PAGE_AT_ONCE = { 'history.cacheTTL': '0s' };

let dir: string;
let engine: RunningEngine | undefined;
let connection: Connection | undefined;
let native: NativeConnection | undefined;
let worker: { worker: Worker; running: Promise<void> } | undefined;
let client: Client;
const taskQueue = id('paging');

async function start(opts: { inMemory?: boolean; dynamicConfig?: Record<string, string>; port?: number; stickyTimeout?: string } = {}): Promise<void> {
  engine = await startEngine({ port: opts.port ?? 0, dataDir: dir, inMemory: opts.inMemory, log: silentLogger, dynamicConfig: opts.dynamicConfig ?? PAGE_AT_ONCE });
  connection = await Connection.connect({ address: engine.address });
  client = new Client({ connection });
  native = await NativeConnection.connect({ address: engine.address });
  const w = await Worker.create({
    connection: native,
    taskQueue,
    workflowsPath,
    activities: createActivities(new Probe()),
    stickyQueueScheduleToStartTimeout: opts.stickyTimeout ?? '1s',
  });
  worker = { worker: w, running: w.run() };
}

async function stop(): Promise<void> {
  worker?.worker.shutdown();
  await worker?.running;
  worker = undefined;
  await native?.close();
  await connection?.close();
  await engine?.stop();
  engine = undefined;
}

beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'durafax-engine-paging-'));
});
afterEach(async () => {
  await stop();
  await fs.rm(dir, { recursive: true, force: true });
});

/** Waits until `n` runs are paged out (the worker has finished with them). */
async function pagedOut(n: number): Promise<void> {
  const deadline = Date.now() + 15_000;
  while ((engine?.paging().paged ?? 0) < n) {
    if (Date.now() > deadline) throw new Error(`expected ${n} runs paged out, ${JSON.stringify(engine?.paging())}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('signals, queries, updates, describe, history and lists reach runs that are paged out', async () => {
  await start();
  const notes = await client.workflow.start('collectNotes', { taskQueue, workflowId: id('notes'), args: [2] });
  const updatable = await client.workflow.start('updatable', { taskQueue, workflowId: id('updatable') });
  await pagedOut(2);

  // Visibility answers from what stays resident: nothing is loaded back for a list or a count.
  const loaded = engine!.paging().loaded;
  const listed = [];
  for await (const info of client.workflow.list({ query: `WorkflowId = '${notes.workflowId}'` })) listed.push(info);
  // Started, and its first workflow task scheduled, started and completed.
  expect(listed.map((info) => [info.workflowId, info.status.name, info.historyLength])).toEqual([[notes.workflowId, 'RUNNING', 4]]);
  expect((await client.workflow.count(`WorkflowId IN ('${notes.workflowId}', '${updatable.workflowId}') AND ExecutionStatus = 'Running'`)).count).toBe(2);
  expect(engine!.paging().loaded).toBe(loaded);

  await notes.signal('note', 'first');
  await pagedOut(2);
  expect(await notes.query('notes')).toEqual(['first']);
  await pagedOut(2);
  const described = await notes.describe();
  expect(described.status.name).toBe('RUNNING');
  expect(described.historyLength).toBeGreaterThan(5);
  await pagedOut(2);
  const history = await notes.fetchHistory();
  expect(history.events?.some((e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'note')).toBe(true);
  await notes.signal('note', 'second');
  expect(await notes.result()).toEqual(['first', 'second']);

  expect(await updatable.executeUpdate('addNote', { args: ['by update'] })).toBe('Hello, by update!');
  await pagedOut(2);
  const pending = await updatable.startUpdate('addNote', { args: ['second update'], waitForStage: WorkflowUpdateStage.ACCEPTED });
  expect(await pending.result()).toBe('Hello, second update!');
  await pagedOut(2);
  await updatable.signal('done');
  expect(await updatable.result()).toEqual(['by update', 'second update']);
  expect(engine!.paging().loaded).toBeGreaterThanOrEqual(8);
});

test('a timer fires on time while its run is paged out', async () => {
  await start();
  const t0 = Date.now();
  const handle = await client.workflow.start('timerThenGreet', { taskQueue, workflowId: id('timer'), args: [1500] });
  await pagedOut(1);
  expect(await handle.result()).toBe('Hello, after the timer!');
  expect(Date.now() - t0).toBeGreaterThanOrEqual(1400);
});

test('runs paged out survive restarts, open and closed, and carry on', async () => {
  await start();
  // The same memo on both: paged out, they share its payloads, and each still reads its own.
  const memo = { faxId: 'the same', pages: 3 };
  const waiting = await client.workflow.start('waitForProceed', { taskQueue, workflowId: id('restart'), memo: { ...memo, own: 'waiting' } });
  const done = await client.workflow.start('collectNotes', { taskQueue, workflowId: id('closed'), args: [1], memo: { ...memo, own: 'done' } });
  await done.signal('note', 'only');
  expect(await done.result()).toEqual(['only']);
  await pagedOut(2);
  const historyBefore = (await done.fetchHistory()).events?.length;
  await pagedOut(2);
  // The snapshot written on restart copies the paged-out runs' pages; a second restart reads it.
  await stop();
  await start();
  await stop();
  await start();
  // This start read the snapshot's index: both runs are out, neither was decoded.
  expect(engine!.paging()).toMatchObject({ paged: 2, resident: 0, loaded: 0 });
  expect((await client.workflow.count(`WorkflowId = '${done.workflowId}' AND ExecutionStatus = 'Completed'`)).count).toBe(1);
  const memos = [];
  for await (const info of client.workflow.list({ query: `WorkflowId IN ('${waiting.workflowId}', '${done.workflowId}')` })) memos.push([info.workflowId, info.memo]);
  expect(memos.sort()).toEqual(
    [
      [waiting.workflowId, { ...memo, own: 'waiting' }],
      [done.workflowId, { ...memo, own: 'done' }],
    ].sort(),
  );
  // Handles of the new client: the old one's connection is closed.
  expect((await client.workflow.getHandle(done.workflowId).fetchHistory()).events?.length).toBe(historyBefore);
  await pagedOut(2);
  const again = client.workflow.getHandle(waiting.workflowId);
  await again.signal('proceed');
  expect(await again.result()).toBe('Hello, proceeding!');
});

test('a worker that shuts down leaves paged-out runs out, and their next task goes to the normal queue at once', async () => {
  // The worker's sticky queue with the SDK's default schedule-to-start timeout: a task left on
  // it after the worker is gone would wait 10 s before it went to the normal queue.
  await start({ stickyTimeout: '10s' });
  const handles = [];
  for (let i = 0; i < 3; i++) handles.push(await client.workflow.start('waitForProceed', { taskQueue, workflowId: id('sticky') }));
  await pagedOut(3);
  const loaded = engine!.paging().loaded;
  // The worker's sticky queue goes away with it (ShutdownWorker): the runs that are out stay out.
  worker!.worker.shutdown();
  await worker!.running;
  expect(engine!.paging()).toMatchObject({ paged: 3, loaded });
  const next = await Worker.create({ connection: native!, taskQueue, workflowsPath, activities: createActivities(new Probe()) });
  worker = { worker: next, running: next.run() };
  const t0 = Date.now();
  for (const handle of handles) await handle.signal('proceed');
  for (const handle of handles) expect(await handle.result()).toBe('Hello, proceeding!');
  expect(Date.now() - t0).toBeLessThan(8000);
});

test('reset and batch operations reach runs that are paged out', async () => {
  await start();
  const first = await client.workflow.start('waitForProceed', { taskQueue, workflowId: id('reset') });
  const batchIds = [id('batch'), id('batch')];
  for (const workflowId of batchIds) await client.workflow.start('waitForProceed', { taskQueue, workflowId });
  await pagedOut(3);
  const reset = await connection!.workflowService.resetWorkflowExecution({
    namespace: 'default',
    workflowExecution: { workflowId: first.workflowId },
    workflowTaskFinishEventId: Long.fromNumber(4),
    reason: 'paging test',
    requestId: id('reset-request'),
  });
  expect(reset.runId).toBeTruthy();
  await pagedOut(3);
  const latest = client.workflow.getHandle(first.workflowId);
  await latest.signal('proceed');
  expect(await latest.result()).toBe('Hello, proceeding!');
  expect((await latest.describe()).runId).toBe(reset.runId);

  await connection!.workflowService.startBatchOperation({
    namespace: 'default',
    jobId: id('job'),
    reason: 'paging test',
    visibilityQuery: `WorkflowId IN ('${batchIds.join("', '")}')`,
    terminationOperation: {},
  });
  for (const workflowId of batchIds) {
    await expect(client.workflow.getHandle(workflowId).result()).rejects.toThrow('paging test');
  }
  const statuses = await Promise.all(batchIds.map(async (workflowId) => (await client.workflow.getHandle(workflowId).describe()).status.name));
  expect(statuses).toEqual(['TERMINATED', 'TERMINATED']);
});

test('in memory, runs are paged into compact buffers and come back whole', async () => {
  await start({ inMemory: true });
  const handle = await client.workflow.start('collectNotes', { taskQueue, workflowId: id('memory'), args: [2] });
  await pagedOut(1);
  await handle.signal('note', 'a');
  await pagedOut(1);
  expect(await handle.query('notes')).toEqual(['a']);
  await handle.signal('note', 'b');
  expect(await handle.result()).toEqual(['a', 'b']);
  expect(engine!.paging().pagedOut).toBeGreaterThanOrEqual(2);
});

test('a journal written with paging off loads with paging on, and the other way round', async () => {
  await start({ dynamicConfig: { 'engine.pageIdleRuns': 'false' } });
  const open = await client.workflow.start('waitForProceed', { taskQueue, workflowId: id('compat') });
  const closed = await client.workflow.start('collectNotes', { taskQueue, workflowId: id('compat'), args: [1] });
  await closed.signal('note', 'x');
  await closed.result();
  await open.query('__stack_trace');
  expect(engine!.paging().paged).toBe(0);
  await stop();
  await start();
  await pagedOut(2);
  await stop();
  await start({ dynamicConfig: { 'engine.pageIdleRuns': 'false' } });
  const closedAgain = client.workflow.getHandle(closed.workflowId);
  expect((await closedAgain.fetchHistory()).events?.at(-1)?.eventType).toBe(E.EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED);
  const openAgain = client.workflow.getHandle(open.workflowId);
  await openAgain.signal('proceed');
  expect(await openAgain.result()).toBe('Hello, proceeding!');
});
