import { randomUUID } from 'node:crypto';
import Long from 'long';
import { Client, Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { silentLogger } from '../../src/log';
import { startEngine, type RunningEngine } from '../../src/engine';
import { id, withTimeSkippingWorker } from './harness';
import { noteSignal } from './workflows/signals';

/** Eager dispatch, as the real server does it when enabled (the engine's default, as the SDK's own test server runs). */
let env: TestWorkflowEnvironment;
let taskQueue: string;
withTimeSkippingWorker((context) => ({ env, taskQueue } = context));

const E = temporal.api.enums.v1;

test('eager workflow start: a client sharing its worker connection gets the first workflow task in the start response', async () => {
  const client = new Client({ connection: env.nativeConnection, namespace: 'default' });
  const handle = await client.workflow.start('collectNotes', { taskQueue, workflowId: id('eager'), args: [1], requestEagerStart: true });
  expect(handle.eagerlyStarted).toBe(true);
  await handle.signal(noteSignal, 'hi');
  expect(await handle.result()).toEqual(['hi']);
  const plain = await client.workflow.start('collectNotes', { taskQueue, workflowId: id('not-eager'), args: [1] });
  expect(plain.eagerlyStarted).toBe(false);
  await plain.terminate('test finished');
});

/** A workflow task completed with one activity asking for eager execution; what the worker gets back. */
async function completeWithEagerActivity(
  engine: RunningEngine,
): Promise<{ conn: Connection; response: temporal.api.workflowservice.v1.IRespondWorkflowTaskCompletedResponse; workflowId: string }> {
  const conn = await Connection.connect({ address: engine.address });
  const svc = conn.workflowService;
  const queue = `eager-${randomUUID()}`;
  const workflowId = `eager-${randomUUID()}`;
  await svc.startWorkflowExecution({ namespace: 'default', workflowId, workflowType: { name: 'wire' }, taskQueue: { name: queue }, requestId: randomUUID() });
  const task = await svc.pollWorkflowTaskQueue({ namespace: 'default', taskQueue: { name: queue }, identity: 'w' });
  const response = await svc.respondWorkflowTaskCompleted({
    namespace: 'default',
    taskToken: task.taskToken,
    identity: 'w',
    commands: [
      {
        commandType: E.CommandType.COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK,
        scheduleActivityTaskCommandAttributes: {
          activityId: 'a1',
          activityType: { name: 'greet' },
          taskQueue: { name: queue },
          startToCloseTimeout: { seconds: Long.fromNumber(10) },
          requestEagerExecution: true,
        },
      },
    ],
  });
  return { conn, response, workflowId };
}

test('eager activity dispatch: the activity comes back in the completion response, started for that worker; off, it goes to the queue', async () => {
  const on = await startEngine({ port: 0, inMemory: true, log: silentLogger });
  const off = await startEngine({ port: 0, inMemory: true, log: silentLogger, dynamicConfig: { 'system.enableActivityEagerExecution': 'false' } });
  try {
    const eager = await completeWithEagerActivity(on);
    expect(eager.response.activityTasks).toHaveLength(1);
    const activity = eager.response.activityTasks![0];
    expect(activity.activityId).toBe('a1');
    expect(activity.attempt).toBe(1);
    await eager.conn.workflowService.respondActivityTaskCompleted({ namespace: 'default', taskToken: activity.taskToken, identity: 'w' });
    const events = (await eager.conn.workflowService.getWorkflowExecutionHistory({ namespace: 'default', execution: { workflowId: eager.workflowId } })).history!.events!;
    expect(events.map((e) => E.EventType[e.eventType!].replace('EVENT_TYPE_', '')).slice(-3)).toEqual([
      'ACTIVITY_TASK_STARTED',
      'ACTIVITY_TASK_COMPLETED',
      'WORKFLOW_TASK_SCHEDULED',
    ]);
    await eager.conn.close();

    const queued = await completeWithEagerActivity(off);
    expect(queued.response.activityTasks ?? []).toHaveLength(0);
    await queued.conn.close();
  } finally {
    await on.stop();
    await off.stop();
  }
});
