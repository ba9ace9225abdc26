import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import Long from 'long';
import * as grpc from '@grpc/grpc-js';
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { temporal } from '@temporalio/proto';
import { startEngine, type RunningEngine } from '../../src/engine';
import { silentLogger } from '../../src/log';

/** The journal at work in-process: a clean stop and start must lose nothing that was acknowledged. */
const E = temporal.api.enums.v1;
let dir: string;
let engine: RunningEngine | undefined;
let conn: Connection | undefined;

beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'durafax-engine-durable-'));
});
afterEach(async () => {
  await conn?.close();
  await engine?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

async function restart(port = 0): Promise<Connection['workflowService']> {
  await conn?.close();
  await engine?.stop();
  engine = await startEngine({ port, dataDir: dir, log: silentLogger });
  conn = await Connection.connect({ address: engine.address });
  return conn.workflowService;
}

const poll = (svc: Connection['workflowService'], name: string): Promise<temporal.api.workflowservice.v1.PollWorkflowTaskQueueResponse> =>
  conn!.withDeadline(Date.now() + 15_000, () => svc.pollWorkflowTaskQueue({ namespace: 'default', taskQueue: { name }, identity: 'w' }));

test('a timer started before a restart fires after it, at its original time', async () => {
  let svc = await restart();
  const queue = `durable-${randomUUID()}`;
  const workflowId = `timer-${randomUUID()}`;
  await svc.startWorkflowExecution({ namespace: 'default', workflowId, workflowType: { name: 't' }, taskQueue: { name: queue }, requestId: randomUUID() });
  const first = await poll(svc, queue);
  const started = Date.now();
  await svc.respondWorkflowTaskCompleted({
    namespace: 'default',
    taskToken: first.taskToken,
    identity: 'w',
    commands: [{ commandType: E.CommandType.COMMAND_TYPE_START_TIMER, startTimerCommandAttributes: { timerId: 't1', startToFireTimeout: msToTs(1500) } }],
  });
  svc = await restart(engine!.port);
  const fired = await poll(svc, queue);
  expect(Date.now() - started).toBeGreaterThanOrEqual(1400);
  const types = fired.history!.events!.map((e) => E.EventType[e.eventType!]);
  expect(types).toContain('EVENT_TYPE_TIMER_FIRED');
  expect(types.filter((t) => t === 'EVENT_TYPE_WORKFLOW_EXECUTION_STARTED')).toHaveLength(1);
});

test('namespaces, search attributes and closed runs survive; runs past retention are removed', async () => {
  let svc = await restart();
  await svc.registerNamespace({ namespace: 'short-lived', workflowExecutionRetentionPeriod: msToTs(1000) });
  await conn!.operatorService.addSearchAttributes({ namespace: 'default', searchAttributes: { FaxStatus: E.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD } });
  const finish = async (namespace: string): Promise<string> => {
    const queue = `ret-${randomUUID()}`;
    const workflowId = `ret-${randomUUID()}`;
    await svc.startWorkflowExecution({ namespace, workflowId, workflowType: { name: 't' }, taskQueue: { name: queue }, requestId: randomUUID() });
    const task = await conn!.withDeadline(Date.now() + 15_000, () => svc.pollWorkflowTaskQueue({ namespace, taskQueue: { name: queue }, identity: 'w' }));
    await svc.respondWorkflowTaskCompleted({
      namespace,
      taskToken: task.taskToken,
      commands: [{ commandType: E.CommandType.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION, completeWorkflowExecutionCommandAttributes: {} }],
    });
    return workflowId;
  };
  const kept = await finish('default');
  const expiring = await finish('short-lived');
  await new Promise((r) => setTimeout(r, 1200));

  svc = await restart();
  const described = await svc.describeWorkflowExecution({ namespace: 'default', execution: { workflowId: kept } });
  expect(described.workflowExecutionInfo?.status).toBe(E.WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_COMPLETED);
  const attrs = await conn!.operatorService.listSearchAttributes({ namespace: 'default' });
  expect(attrs.customAttributes?.FaxStatus).toBe(E.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD);
  const gone = await svc.describeWorkflowExecution({ namespace: 'short-lived', execution: { workflowId: expiring } }).catch((e: grpc.ServiceError) => e);
  expect((gone as grpc.ServiceError).code).toBe(grpc.status.NOT_FOUND);

  // The removal itself was journaled: it stays removed after another restart.
  svc = await restart();
  const still = await svc.describeWorkflowExecution({ namespace: 'short-lived', execution: { workflowId: expiring } }).catch((e: grpc.ServiceError) => e);
  expect((still as grpc.ServiceError).code).toBe(grpc.status.NOT_FOUND);
});

test('a standalone activity started before a restart is handed out and completed after it', async () => {
  let svc = await restart();
  const queue = `standalone-${randomUUID()}`;
  const activityId = `standalone-${randomUUID()}`;
  const started = await svc.startActivityExecution({
    namespace: 'default',
    activityId,
    activityType: { name: 'greet' },
    taskQueue: { name: queue },
    startToCloseTimeout: msToTs(10_000),
    requestId: randomUUID(),
  });
  svc = await restart(engine!.port);
  const task = await conn!.withDeadline(Date.now() + 15_000, () => svc.pollActivityTaskQueue({ namespace: 'default', taskQueue: { name: queue }, identity: 'w' }));
  expect(task.activityId).toBe(activityId);
  expect(task.activityRunId).toBe(started.runId);
  await svc.respondActivityTaskCompleted({ namespace: 'default', taskToken: task.taskToken, identity: 'w' });
  svc = await restart(engine!.port);
  const described = await svc.describeActivityExecution({ namespace: 'default', activityId });
  expect(described.info?.status).toBe(E.ActivityExecutionStatus.ACTIVITY_EXECUTION_STATUS_COMPLETED);
  // Its id is an activity's, not a workflow's.
  const asWorkflow = await svc.describeWorkflowExecution({ namespace: 'default', execution: { workflowId: activityId } }).catch((e: grpc.ServiceError) => e);
  expect((asWorkflow as grpc.ServiceError).code).toBe(grpc.status.NOT_FOUND);
});

test('a schedule survives a restart and makes up the times it missed while the engine was down', async () => {
  let svc = await restart();
  const scheduleId = `every-second-${randomUUID()}`;
  await svc.createSchedule({
    namespace: 'default',
    scheduleId,
    requestId: randomUUID(),
    schedule: {
      spec: { interval: [{ interval: msToTs(1000) }] },
      action: { startWorkflow: { workflowId: scheduleId, workflowType: { name: 't' }, taskQueue: { name: `nobody-${randomUUID()}` } } },
      policies: { overlapPolicy: E.ScheduleOverlapPolicy.SCHEDULE_OVERLAP_POLICY_ALLOW_ALL },
    },
  });
  await new Promise((r) => setTimeout(r, 1500));
  const before = Number((await svc.describeSchedule({ namespace: 'default', scheduleId })).info?.actionCount);
  expect(before).toBeGreaterThanOrEqual(1);
  await conn?.close();
  await engine?.stop();
  conn = undefined;
  engine = undefined;
  await new Promise((r) => setTimeout(r, 2500));
  svc = await restart();
  await new Promise((r) => setTimeout(r, 300));
  const after = await svc.describeSchedule({ namespace: 'default', scheduleId });
  expect(Number(after.info?.actionCount)).toBeGreaterThanOrEqual(before + 2);
  const started = await svc.countWorkflowExecutions({ namespace: 'default', query: `TemporalScheduledById = '${scheduleId}'` });
  expect(Number(started.count)).toBe(Number(after.info?.actionCount));
  await svc.deleteSchedule({ namespace: 'default', scheduleId });
});

test('a reset survives a restart: the new run keeps its copied events and gets its workflow task, the base its link to it', async () => {
  let svc = await restart();
  const queue = `reset-${randomUUID()}`;
  const workflowId = `reset-${randomUUID()}`;
  const { runId: baseRunId } = await svc.startWorkflowExecution({
    namespace: 'default',
    workflowId,
    workflowType: { name: 't' },
    taskQueue: { name: queue },
    requestId: randomUUID(),
  });
  const first = await poll(svc, queue);
  await svc.respondWorkflowTaskCompleted({ namespace: 'default', taskToken: first.taskToken, identity: 'w' });
  await svc.signalWorkflowExecution({ namespace: 'default', workflowExecution: { workflowId }, signalName: 'late', identity: 'w' });
  const { runId } = await svc.resetWorkflowExecution({
    namespace: 'default',
    workflowExecution: { workflowId },
    workflowTaskFinishEventId: Long.fromNumber(4),
    reason: 'r',
    requestId: randomUUID(),
  });
  const before = await svc.getWorkflowExecutionHistory({ namespace: 'default', execution: { workflowId, runId } });
  svc = await restart(engine!.port);
  const after = await svc.getWorkflowExecutionHistory({ namespace: 'default', execution: { workflowId, runId } });
  expect(after.history?.events?.map((e) => E.EventType[e.eventType!])).toEqual(before.history?.events?.map((e) => E.EventType[e.eventType!]));
  expect(after.history?.events?.map((e) => E.EventType[e.eventType!]).slice(3, 5)).toEqual(['EVENT_TYPE_WORKFLOW_TASK_FAILED', 'EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED']);
  const base = await svc.describeWorkflowExecution({ namespace: 'default', execution: { workflowId, runId: baseRunId } });
  expect(base.workflowExecutionInfo?.status).toBe(E.WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_TERMINATED);
  expect(base.workflowExtendedInfo?.resetRunId).toBe(runId);
  const task = await poll(svc, queue);
  expect(task.workflowExecution?.runId).toBe(runId);
});

test('a batch job running at a restart carries on after it from where it was', async () => {
  let svc = await restart();
  const queue = `batch-${randomUUID()}`;
  const ids = [0, 1, 2].map((i) => `batch-${i}-${randomUUID()}`);
  for (const workflowId of ids)
    await svc.startWorkflowExecution({ namespace: 'default', workflowId, workflowType: { name: 't' }, taskQueue: { name: queue }, requestId: randomUUID() });
  const jobId = `job-${randomUUID()}`;
  await svc.startBatchOperation({
    namespace: 'default',
    jobId,
    reason: 'r',
    executions: ids.map((workflowId) => ({ workflowId })),
    maxOperationsPerSecond: 1,
    terminationOperation: { identity: 'support' },
  });
  svc = await restart(engine!.port);
  const deadline = Date.now() + 10_000;
  let job = await svc.describeBatchOperation({ namespace: 'default', jobId });
  while (job.state === E.BatchOperationState.BATCH_OPERATION_STATE_RUNNING && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    job = await svc.describeBatchOperation({ namespace: 'default', jobId });
  }
  expect(job.state).toBe(E.BatchOperationState.BATCH_OPERATION_STATE_COMPLETED);
  expect(Number(job.completeOperationCount)).toBe(3);
  for (const workflowId of ids) {
    const described = await svc.describeWorkflowExecution({ namespace: 'default', execution: { workflowId } });
    expect(described.workflowExecutionInfo?.status).toBe(E.WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_TERMINATED);
  }
});

test('worker deployments survive a restart: versions, their task queues and the current version route as before', async () => {
  let svc = await restart();
  const queue = `deployed-${randomUUID()}`;
  const deploymentName = `dep-${randomUUID().slice(0, 8)}`;
  const deploymentOptions = { deploymentName, buildId: 'v1', workerVersioningMode: E.WorkerVersioningMode.WORKER_VERSIONING_MODE_VERSIONED };
  // A versioned worker's poll registers its version, even one that finds no task.
  await conn!
    .withDeadline(Date.now() + 1_500, () => svc.pollWorkflowTaskQueue({ namespace: 'default', taskQueue: { name: queue }, identity: 'w', deploymentOptions }))
    .catch(() => undefined);
  await svc.setWorkerDeploymentCurrentVersion({ namespace: 'default', deploymentName, buildId: 'v1', identity: 'ops' });
  const workflowId = `deployed-${randomUUID()}`;
  await svc.startWorkflowExecution({ namespace: 'default', workflowId, workflowType: { name: 't' }, taskQueue: { name: queue }, requestId: randomUUID() });
  svc = await restart(engine!.port);
  const described = await svc.describeWorkerDeployment({ namespace: 'default', deploymentName });
  expect(described.workerDeploymentInfo?.routingConfig?.currentDeploymentVersion?.buildId).toBe('v1');
  // An unversioned worker gets nothing; the version's worker gets the task.
  const unversioned = await conn!.withDeadline(Date.now() + 1_500, () => svc.pollWorkflowTaskQueue({ namespace: 'default', taskQueue: { name: queue }, identity: 'u' }));
  expect(unversioned.taskToken?.length ?? 0).toBe(0);
  const task = await conn!.withDeadline(Date.now() + 5_000, () =>
    svc.pollWorkflowTaskQueue({ namespace: 'default', taskQueue: { name: queue }, identity: 'w', deploymentOptions }),
  );
  expect(task.workflowExecution?.workflowId).toBe(workflowId);
});

test('a Nexus endpoint and an operation waiting for its handler survive a restart: the start request goes out again', async () => {
  let svc = await restart();
  const handlerQueue = `handler-${randomUUID()}`;
  const callerQueue = `caller-${randomUUID()}`;
  const name = `ep-${randomUUID().slice(0, 8)}`;
  await conn!.operatorService.createNexusEndpoint({ spec: { name, target: { worker: { namespace: 'default', taskQueue: handlerQueue } } } });
  const workflowId = `caller-${randomUUID()}`;
  await svc.startWorkflowExecution({ namespace: 'default', workflowId, workflowType: { name: 't' }, taskQueue: { name: callerQueue }, requestId: randomUUID() });
  const first = await poll(svc, callerQueue);
  await svc.respondWorkflowTaskCompleted({
    namespace: 'default',
    taskToken: first.taskToken,
    identity: 'w',
    commands: [
      {
        commandType: E.CommandType.COMMAND_TYPE_SCHEDULE_NEXUS_OPERATION,
        scheduleNexusOperationCommandAttributes: { endpoint: name, service: 'fax', operation: 'echo', input: {} },
      },
    ],
  });
  svc = await restart(engine!.port);
  expect((await conn!.operatorService.listNexusEndpoints({ name })).endpoints).toHaveLength(1);
  const task = await conn!.withDeadline(Date.now() + 5_000, () => svc.pollNexusTaskQueue({ namespace: 'default', taskQueue: { name: handlerQueue }, identity: 'h' }));
  expect(task.request?.startOperation).toMatchObject({ service: 'fax', operation: 'echo' });
  await svc.respondNexusTaskCompleted({ namespace: 'default', identity: 'h', taskToken: task.taskToken, response: { startOperation: { syncSuccess: { payload: {} } } } });
  const next = await poll(svc, callerQueue);
  expect(next.history?.events?.map((e) => E.EventType[e.eventType!])).toContain('EVENT_TYPE_NEXUS_OPERATION_COMPLETED');
});

test('a started Nexus operation survives a restart: the handler workflow, which carries its completion callback, completes it after', async () => {
  let svc = await restart();
  const handlerQueue = `handler-${randomUUID()}`;
  const callerQueue = `caller-${randomUUID()}`;
  const name = `ep-${randomUUID().slice(0, 8)}`;
  await conn!.operatorService.createNexusEndpoint({ spec: { name, target: { worker: { namespace: 'default', taskQueue: handlerQueue } } } });
  const workflowId = `caller-${randomUUID()}`;
  await svc.startWorkflowExecution({ namespace: 'default', workflowId, workflowType: { name: 't' }, taskQueue: { name: callerQueue }, requestId: randomUUID() });
  const first = await poll(svc, callerQueue);
  await svc.respondWorkflowTaskCompleted({
    namespace: 'default',
    taskToken: first.taskToken,
    identity: 'w',
    commands: [
      {
        commandType: E.CommandType.COMMAND_TYPE_SCHEDULE_NEXUS_OPERATION,
        scheduleNexusOperationCommandAttributes: { endpoint: name, service: 'fax', operation: 'send', input: {} },
      },
    ],
  });
  // The handler starts a workflow with the request's callback, and answers with its token (an asynchronous operation).
  const task = await conn!.withDeadline(Date.now() + 5_000, () => svc.pollNexusTaskQueue({ namespace: 'default', taskQueue: { name: handlerQueue }, identity: 'h' }));
  const start = task.request!.startOperation!;
  const handlerId = `handler-${randomUUID()}`;
  await svc.startWorkflowExecution({
    namespace: 'default',
    workflowId: handlerId,
    workflowType: { name: 'h' },
    taskQueue: { name: handlerQueue },
    requestId: start.requestId,
    completionCallbacks: [{ nexus: { url: start.callback, header: start.callbackHeader } }],
  });
  await svc.respondNexusTaskCompleted({
    namespace: 'default',
    identity: 'h',
    taskToken: task.taskToken,
    response: { startOperation: { asyncSuccess: { operationToken: handlerId } } },
  });

  svc = await restart(engine!.port);
  const described = await svc.describeWorkflowExecution({ namespace: 'default', execution: { workflowId } });
  expect(described.pendingNexusOperations?.[0]).toMatchObject({ operationToken: handlerId, state: E.PendingNexusOperationState.PENDING_NEXUS_OPERATION_STATE_STARTED });
  const handlerTask = await poll(svc, handlerQueue);
  const result = { payloads: [{ metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from('"sent"') }] };
  await svc.respondWorkflowTaskCompleted({
    namespace: 'default',
    taskToken: handlerTask.taskToken,
    identity: 'h',
    commands: [{ commandType: E.CommandType.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION, completeWorkflowExecutionCommandAttributes: { result } }],
  });
  const next = await poll(svc, callerQueue);
  const completed = next.history?.events?.find((e) => e.nexusOperationCompletedEventAttributes)?.nexusOperationCompletedEventAttributes;
  expect(Buffer.from(completed?.result?.data ?? []).toString()).toBe('"sent"');
});
