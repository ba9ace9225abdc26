import { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { STICKY_POLLER_WINDOW_MS } from '../../src/engine/matching';
import { createActivities, Probe } from './activities';
import { id, spawnWorkerProcess, withInMemoryEngine, workflowsPath } from './harness';
import { proceedSignal } from './workflows/durable';

/**
 * A worker killed with SIGKILL never says ShutdownWorker: its runs keep its sticky queue. Once
 * nobody has polled that queue for the real server's window (10 s), their next task goes to the
 * normal queue at once (the real server's matching answers StickyWorkerUnavailable), instead of
 * waiting out the sticky schedule-to-start timeout. The crash storm met it: after a worker was
 * killed in the middle of a fax, the fax's next task waited 10 s on the dead worker's queue.
 * (Within the window the task still goes to the sticky queue and times out there: see
 * worker-restart.test.ts.)
 */
const E = temporal.api.enums.v1;
const t = withInMemoryEngine();

test('a sticky queue unpolled for 10 s is given up: the next task goes to the normal queue at once', async () => {
  const taskQueue = id('sticky-gone');
  const { child, exited } = await spawnWorkerProcess(t.engine.address, taskQueue, 'doomed-worker');
  const handle = await t.client.workflow.start('waitForProceed', { taskQueue, workflowId: id('sticky-gone') });
  // Its first task ran on the doomed worker, which asked for its sticky queue.
  await handle.query('__stack_trace');
  child.kill('SIGKILL');
  await exited;
  await new Promise((resolve) => setTimeout(resolve, STICKY_POLLER_WINDOW_MS + 1000));

  const survivor = await Worker.create({ connection: t.native, taskQueue, workflowsPath, activities: createActivities(new Probe()), identity: 'survivor' });
  const result = await survivor.runUntil(async () => {
    await handle.signal(proceedSignal);
    return (await handle.result()) as string;
  });
  expect(result).toBe('Hello, proceeding!');
  const events = (await handle.fetchHistory()).events!;
  expect(events.map((e) => e.eventType)).not.toContain(E.EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT);
  // The task the signal scheduled names the normal queue.
  const signalled = events.findIndex((e) => e.eventType === E.EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED);
  const next = events.slice(signalled).find((e) => e.eventType === E.EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED);
  expect(next?.workflowTaskScheduledEventAttributes?.taskQueue).toMatchObject({ name: taskQueue, kind: E.TaskQueueKind.TASK_QUEUE_KIND_NORMAL });
  const identities = new Set(events.map((e) => e.workflowTaskCompletedEventAttributes?.identity).filter(Boolean));
  expect([...identities].sort()).toEqual(['doomed-worker', 'survivor']);
});
