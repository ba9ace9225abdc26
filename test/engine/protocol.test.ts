import { randomUUID } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { google, temporal } from '@temporalio/proto';
import { silentLogger } from '../../src/log';
import { startEngine, type RunningEngine } from '../../src/engine';

/**
 * The engine at the wire: what the SDK never shows directly (transient workflow-task attempts,
 * sticky-queue fallback, request-id dedupe, error statuses), driven with raw RPCs.
 */
const E = temporal.api.enums.v1;
const NS = 'default';

let engine: RunningEngine;
let conn: Connection;
beforeAll(async () => {
  engine = await startEngine({ port: 0, inMemory: true, log: silentLogger });
  conn = await Connection.connect({ address: engine.address });
});
afterAll(async () => {
  await conn?.close();
  await engine?.stop();
});

const svc = (): Connection['workflowService'] => conn.workflowService;
const types = (events: temporal.api.history.v1.IHistoryEvent[] | null | undefined): string[] => (events ?? []).map((e) => E.EventType[e.eventType!].replace('EVENT_TYPE_', ''));

async function start(taskQueue: string, extra: Partial<temporal.api.workflowservice.v1.IStartWorkflowExecutionRequest> = {}): Promise<{ workflowId: string; runId: string }> {
  const workflowId = `wire-${randomUUID()}`;
  const res = await svc().startWorkflowExecution({
    namespace: NS,
    workflowId,
    workflowType: { name: 'wire' },
    taskQueue: { name: taskQueue },
    requestId: randomUUID(),
    identity: 'test',
    ...extra,
  });
  return { workflowId, runId: res.runId };
}

const poll = (name: string, kind = E.TaskQueueKind.TASK_QUEUE_KIND_NORMAL, ms = 10_000): Promise<temporal.api.workflowservice.v1.PollWorkflowTaskQueueResponse> =>
  conn.withDeadline(Date.now() + ms, () => svc().pollWorkflowTaskQueue({ namespace: NS, taskQueue: { name, kind }, identity: 'test-worker' }));

async function history(workflowId: string): Promise<string[]> {
  const res = await svc().getWorkflowExecutionHistory({ namespace: NS, execution: { workflowId } });
  return types(res.history?.events);
}

async function grpcError(p: Promise<unknown>): Promise<grpc.ServiceError> {
  try {
    await p;
  } catch (err) {
    return err as grpc.ServiceError;
  }
  throw new Error('expected the call to fail');
}

test('system info, namespace and health answer as the SDK expects', async () => {
  const info = await svc().getSystemInfo({});
  expect(info.capabilities?.sdkMetadata).toBe(true);
  expect(info.capabilities?.signalAndQueryHeader).toBe(true);
  const ns = await svc().describeNamespace({ namespace: NS });
  expect(ns.namespaceInfo?.name).toBe(NS);
  const missing = await grpcError(svc().describeNamespace({ namespace: 'no-such-namespace' }));
  expect(missing.code).toBe(grpc.status.NOT_FOUND);
  const health = await conn.healthService.check({});
  expect(health.status).toBe(1); // SERVING
});

test('an RPC the engine does not implement answers UNIMPLEMENTED, naming it', async () => {
  const err = await grpcError(svc().createWorkflowRule({ namespace: NS }));
  expect(err.code).toBe(grpc.status.UNIMPLEMENTED);
  expect(err.details).toContain('WorkflowService/CreateWorkflowRule');
});

test('a malformed request answers INVALID_ARGUMENT and the engine keeps serving', async () => {
  const client = new grpc.Client(engine.address, grpc.credentials.createInsecure());
  try {
    const err = await new Promise<grpc.ServiceError>((resolve) =>
      client.makeUnaryRequest(
        '/temporal.api.workflowservice.v1.WorkflowService/StartWorkflowExecution',
        (b: Buffer) => b,
        (b: Buffer) => b,
        Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f, 0x12]),
        (e) => resolve(e as grpc.ServiceError),
      ),
    );
    expect(err.code).toBe(grpc.status.INVALID_ARGUMENT);
  } finally {
    client.close();
  }
  const missingId = await grpcError(svc().startWorkflowExecution({ namespace: NS, workflowType: { name: 'x' }, taskQueue: { name: 'q' }, requestId: 'r' }));
  expect(missingId.code).toBe(grpc.status.INVALID_ARGUMENT);
  const badToken = await grpcError(svc().respondWorkflowTaskCompleted({ namespace: NS, taskToken: Buffer.from('not a token') }));
  expect(badToken.code).toBe(grpc.status.INVALID_ARGUMENT);
  expect((await svc().getSystemInfo({})).serverVersion).toBeTruthy();
});

test('a retried start with the same request id is deduplicated; another start of a running id is ALREADY_EXISTS', async () => {
  const requestId = randomUUID();
  const req = { namespace: NS, workflowId: `dedupe-${requestId}`, workflowType: { name: 'wire' }, taskQueue: { name: 'dedupe' }, requestId };
  const a = await svc().startWorkflowExecution(req);
  const b = await svc().startWorkflowExecution(req);
  expect(b.runId).toBe(a.runId);
  expect(b.started).toBe(true);
  const dup = await grpcError(svc().startWorkflowExecution({ ...req, requestId: randomUUID() }));
  expect(dup.code).toBe(grpc.status.ALREADY_EXISTS);
  const details = dup.metadata.get('grpc-status-details-bin')[0] as Buffer;
  const status = temporal.api.errordetails.v1.WorkflowExecutionAlreadyStartedFailure;
  const any = google.rpc.Status.decode(details).details[0];
  expect(any.type_url).toContain('WorkflowExecutionAlreadyStartedFailure');
  expect(status.decode(any.value!).runId).toBe(a.runId);
});

test('workflow task attempts: a timed-out task is retried; attempts after the first are transient until one completes', async () => {
  const queue = `attempts-${randomUUID()}`;
  const { workflowId } = await start(queue, { workflowTaskTimeout: msToTs(1000) });
  const first = await poll(queue);
  expect(first.attempt).toBe(1);
  // Not answered: after 1 s the task times out and comes back as attempt 2, with the timeout in its history.
  const second = await poll(queue);
  expect(second.attempt).toBe(2);
  expect(types(second.history?.events)).toEqual([
    'WORKFLOW_EXECUTION_STARTED',
    'WORKFLOW_TASK_SCHEDULED',
    'WORKFLOW_TASK_STARTED',
    'WORKFLOW_TASK_TIMED_OUT',
    'WORKFLOW_TASK_SCHEDULED',
    'WORKFLOW_TASK_STARTED',
  ]);
  await svc().respondWorkflowTaskFailed({
    namespace: NS,
    taskToken: second.taskToken,
    cause: E.WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_WORKFLOW_WORKER_UNHANDLED_FAILURE,
    identity: 'test-worker',
  });
  const third = await poll(queue);
  expect(third.attempt).toBe(3);
  // While its tasks keep failing, the workflow cannot answer queries: the caller is told at once.
  const query = await grpcError(svc().queryWorkflow({ namespace: NS, execution: { workflowId }, query: { queryType: 'state' } }));
  expect(query.code).toBe(grpc.status.FAILED_PRECONDITION);
  // Attempts 2 and 3 are not in the stored history: a failing task does not grow it.
  expect(await history(workflowId)).toEqual(['WORKFLOW_EXECUTION_STARTED', 'WORKFLOW_TASK_SCHEDULED', 'WORKFLOW_TASK_STARTED', 'WORKFLOW_TASK_TIMED_OUT']);
  await svc().respondWorkflowTaskCompleted({
    namespace: NS,
    taskToken: third.taskToken,
    identity: 'test-worker',
    commands: [{ commandType: E.CommandType.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION, completeWorkflowExecutionCommandAttributes: {} }],
  });
  const done = await svc().getWorkflowExecutionHistory({ namespace: NS, execution: { workflowId } });
  expect(types(done.history?.events)).toEqual([
    'WORKFLOW_EXECUTION_STARTED',
    'WORKFLOW_TASK_SCHEDULED',
    'WORKFLOW_TASK_STARTED',
    'WORKFLOW_TASK_TIMED_OUT',
    'WORKFLOW_TASK_SCHEDULED',
    'WORKFLOW_TASK_STARTED',
    'WORKFLOW_TASK_COMPLETED',
    'WORKFLOW_EXECUTION_COMPLETED',
  ]);
  expect(done.history?.events?.[4].workflowTaskScheduledEventAttributes?.attempt).toBe(3);
});

test('sticky queue: a cached worker gets only new events; a task it does not pick up falls back to the normal queue', async () => {
  const queue = `sticky-${randomUUID()}`;
  const sticky = `${queue}-worker-1`;
  const { workflowId } = await start(queue);
  const first = await poll(queue);
  const stickyAttributes = { workerTaskQueue: { name: sticky, kind: E.TaskQueueKind.TASK_QUEUE_KIND_STICKY, normalName: queue }, scheduleToStartTimeout: msToTs(500) };
  await svc().respondWorkflowTaskCompleted({ namespace: NS, taskToken: first.taskToken, identity: 'w1', stickyAttributes });

  await svc().signalWorkflowExecution({ namespace: NS, workflowExecution: { workflowId }, signalName: 'poke', identity: 'test' });
  const onSticky = await poll(sticky, E.TaskQueueKind.TASK_QUEUE_KIND_STICKY);
  expect(Number(onSticky.history!.events![0].eventId)).toBe(Number(first.startedEventId) + 1);
  expect(types(onSticky.history?.events)).toEqual(['WORKFLOW_TASK_COMPLETED', 'WORKFLOW_EXECUTION_SIGNALED', 'WORKFLOW_TASK_SCHEDULED', 'WORKFLOW_TASK_STARTED']);
  await svc().respondWorkflowTaskCompleted({ namespace: NS, taskToken: onSticky.taskToken, identity: 'w1', stickyAttributes });

  // The worker went away without saying so: after the sticky schedule-to-start timeout the normal queue gets it, with the full history.
  await svc().signalWorkflowExecution({ namespace: NS, workflowExecution: { workflowId }, signalName: 'poke', identity: 'test' });
  const fallback = await poll(queue);
  const fell = types(fallback.history?.events);
  expect(Number(fallback.history!.events![0].eventId)).toBe(1);
  expect(fell.slice(-3)).toEqual(['WORKFLOW_TASK_TIMED_OUT', 'WORKFLOW_TASK_SCHEDULED', 'WORKFLOW_TASK_STARTED']);
  const timedOut = fallback.history!.events!.find((e) => e.eventType === E.EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT);
  expect(timedOut?.workflowTaskTimedOutEventAttributes?.timeoutType).toBe(E.TimeoutType.TIMEOUT_TYPE_SCHEDULE_TO_START);

  // A worker that shuts down says so: its sticky tasks move to the normal queue at once.
  const sticky2 = `${queue}-worker-2`;
  await svc().respondWorkflowTaskCompleted({
    namespace: NS,
    taskToken: fallback.taskToken,
    identity: 'w2',
    stickyAttributes: { ...stickyAttributes, workerTaskQueue: { ...stickyAttributes.workerTaskQueue, name: sticky2 }, scheduleToStartTimeout: msToTs(60_000) },
  });
  await svc().signalWorkflowExecution({ namespace: NS, workflowExecution: { workflowId }, signalName: 'poke', identity: 'test' });
  await svc().shutdownWorker({ namespace: NS, stickyTaskQueue: sticky2, identity: 'w2' });
  const t0 = Date.now();
  const moved = await poll(queue);
  expect(Date.now() - t0).toBeLessThan(5_000);
  expect(Number(moved.history!.events![0].eventId)).toBe(1);
});

test('history pages with tokens, and long-polls for new events', async () => {
  const queue = `pages-${randomUUID()}`;
  const { workflowId } = await start(queue);
  const task = await poll(queue);
  await svc().respondWorkflowTaskCompleted({ namespace: NS, taskToken: task.taskToken, identity: 'w' });
  const page1 = await svc().getWorkflowExecutionHistory({ namespace: NS, execution: { workflowId }, maximumPageSize: 2 });
  expect(types(page1.history?.events)).toEqual(['WORKFLOW_EXECUTION_STARTED', 'WORKFLOW_TASK_SCHEDULED']);
  const page2 = await svc().getWorkflowExecutionHistory({ namespace: NS, execution: { workflowId }, maximumPageSize: 2, nextPageToken: page1.nextPageToken });
  expect(types(page2.history?.events)).toEqual(['WORKFLOW_TASK_STARTED', 'WORKFLOW_TASK_COMPLETED']);
  expect(page2.nextPageToken?.length ?? 0).toBe(0);

  const waiting = svc().getWorkflowExecutionHistory({
    namespace: NS,
    execution: { workflowId },
    waitNewEvent: true,
    nextPageToken: Buffer.from(JSON.stringify({ r: task.workflowExecution!.runId, n: 5 })),
  });
  await svc().signalWorkflowExecution({ namespace: NS, workflowExecution: { workflowId }, signalName: 'wake', identity: 'test' });
  expect(types((await waiting).history?.events)[0]).toBe('WORKFLOW_EXECUTION_SIGNALED');
});

test('DeleteWorkflowExecution terminates a running workflow and removes it', async () => {
  const { workflowId } = await start(`delete-${randomUUID()}`);
  await svc().deleteWorkflowExecution({ namespace: NS, workflowExecution: { workflowId } });
  const err = await grpcError(svc().describeWorkflowExecution({ namespace: NS, execution: { workflowId } }));
  expect(err.code).toBe(grpc.status.NOT_FOUND);
});
