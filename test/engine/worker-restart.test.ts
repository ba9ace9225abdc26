import { temporal } from '@temporalio/proto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { createLocalEnv } from '../helpers/temporal';
import { createActivities, Probe } from './activities';
import { id, spawnWorkerProcess, workflowsPath } from './harness';
import { proceedSignal } from './workflows/durable';
import { noteSignal, notesQuery } from './workflows/signals';

/** Runs on the dev-server shape (`server start-dev ...`), in real time, as createLocal starts it. */
let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await createLocalEnv();
});
afterAll(async () => {
  await env?.teardown();
});

const newWorker = (taskQueue: string, identity = id('worker')): Promise<Worker> =>
  Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowsPath,
    activities: createActivities(new Probe()),
    stickyQueueScheduleToStartTimeout: '1s',
    identity,
  });

test('a workflow continues on a new worker (new sticky queue) after the first one stops mid-workflow', async () => {
  const taskQueue = id('restart');
  const handle = await env.client.workflow.start('waitForProceed', { taskQueue, workflowId: id('restart') });
  const first = await newWorker(taskQueue, 'first-worker');
  await first.runUntil(async () => {
    // The first task ran on this worker, which now has the run cached on its sticky queue.
    await handle.query('__stack_trace');
  });
  const second = await newWorker(taskQueue, 'second-worker');
  const result = await second.runUntil(async () => {
    await handle.signal(proceedSignal);
    return (await handle.result()) as string;
  });
  expect(result).toBe('Hello, proceeding!');
  const history = await handle.fetchHistory();
  const identities = new Set(history.events!.map((e) => e.workflowTaskCompletedEventAttributes?.identity).filter(Boolean));
  expect([...identities].sort()).toEqual(['first-worker', 'second-worker']);
});

test('the dev-server shape keeps queries and signals working across many workflows on one worker', async () => {
  const taskQueue = id('local');
  const worker = await newWorker(taskQueue);
  await worker.runUntil(async () => {
    const handles = await Promise.all([1, 2, 3].map(() => env.client.workflow.start('collectNotes', { taskQueue, workflowId: id('local'), args: [1] })));
    await Promise.all(handles.map((h, i) => h.signal(noteSignal, `n${i}`)));
    expect(await Promise.all(handles.map((h) => h.result()))).toEqual([['n0'], ['n1'], ['n2']]);
    expect(await handles[2].query(notesQuery)).toEqual(['n2']);
  });
});

test('a worker killed with SIGKILL: its sticky task falls back to the normal queue and another worker finishes', async () => {
  const taskQueue = id('killed');
  const { child, exited } = await spawnWorkerProcess(env.address, taskQueue, 'doomed-worker');
  const handle = await env.client.workflow.start('waitForProceed', { taskQueue, workflowId: id('killed') });
  await handle.query('__stack_trace');
  child.kill('SIGKILL');
  await exited;

  const survivor = await newWorker(taskQueue, 'survivor');
  const result = await survivor.runUntil(async () => {
    await handle.signal(proceedSignal);
    return (await handle.result()) as string;
  });
  expect(result).toBe('Hello, proceeding!');
  const events = (await handle.fetchHistory()).events!;
  const timedOut = events.find((e) => e.eventType === temporal.api.enums.v1.EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT);
  expect(timedOut?.workflowTaskTimedOutEventAttributes?.timeoutType).toBe(temporal.api.enums.v1.TimeoutType.TIMEOUT_TYPE_SCHEDULE_TO_START);
  const identities = new Set(events.map((e) => e.workflowTaskCompletedEventAttributes?.identity).filter(Boolean));
  expect([...identities].sort()).toEqual(['doomed-worker', 'survivor']);
});
