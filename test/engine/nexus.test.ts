import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { WorkflowRunOperationHandler, startWorkflow } from '@temporalio/nexus';
import Long from 'long';
import { Connection } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import * as nexus from 'nexus-rpc';
import { startEngine, type RunningEngine } from '../../src/engine';
import { silentLogger } from '../../src/log';
import { createTimeSkippingEnv } from '../helpers/temporal';
import { id, workflowsPath } from './harness';
import { faxService } from './nexus-service';
import type { nexusBackedWorkflow, nexusChainedWorkflow } from './workflows/nexus';

/** Nexus operations between two workers through an endpoint, as the SDK's caller and handler see them. */
const E = temporal.api.enums.v1;
let env: TestWorkflowEnvironment;
const handlerQueue = `nexus-handler-${randomUUID()}`;
const callerQueue = `nexus-caller-${randomUUID()}`;
const endpoint = `fax-${randomUUID().slice(0, 8)}`;
const flakyAttempts = new Map<string, number>();
const running: { worker: Worker; done: Promise<void> }[] = [];

beforeAll(async () => {
  env = await createTimeSkippingEnv();
  await env.connection.operatorService.createNexusEndpoint({ spec: { name: endpoint, target: { worker: { namespace: 'default', taskQueue: handlerQueue } } } });
  const handler = nexus.serviceHandler(faxService, {
    echo: async (_ctx, input) => `echo ${input}`,
    viaWorkflow: new WorkflowRunOperationHandler<string, string>(async (ctx, input) =>
      startWorkflow<typeof nexusBackedWorkflow>(ctx, 'nexusBackedWorkflow', { workflowId: `backed-${input}`, args: [input], taskQueue: handlerQueue }),
    ),
    rejects: async () => {
      throw new nexus.HandlerError('BAD_REQUEST', 'no faxes to that country');
    },
    flaky: async (_ctx, input) => {
      const n = (flakyAttempts.get(input) ?? 0) + 1;
      flakyAttempts.set(input, n);
      if (n < 3) throw new nexus.HandlerError('INTERNAL', `modem busy (attempt ${n})`);
      return `sent on attempt ${n}`;
    },
    declines: async () => {
      throw new nexus.OperationError('failed', 'card declined');
    },
    slow: async (_ctx, input) => {
      await delay(2000);
      return `slow ${input}`;
    },
    busy: async () => {
      throw new nexus.HandlerError('INTERNAL', 'line busy');
    },
    outOfPaper: async () => {
      throw ApplicationFailure.nonRetryable('out of paper');
    },
    viaChain: new WorkflowRunOperationHandler<string, string>(async (ctx, input) =>
      startWorkflow<typeof nexusChainedWorkflow>(ctx, 'nexusChainedWorkflow', {
        workflowId: `chain-${input}`,
        args: [input],
        taskQueue: handlerQueue,
        retry: { maximumAttempts: 2, initialInterval: '1 second' },
      }),
    ),
  });
  for (const options of [
    { taskQueue: handlerQueue, nexusServices: [handler] },
    { taskQueue: callerQueue, nexusServices: [] },
  ]) {
    const worker = await Worker.create({ connection: env.nativeConnection, workflowsPath, ...options });
    running.push({ worker, done: worker.run() });
  }
});
afterAll(async () => {
  for (const r of running) r.worker.shutdown();
  await Promise.all(running.map((r) => r.done));
  await env?.teardown();
});

type Timeouts = { scheduleToCloseTimeout?: string; scheduleToStartTimeout?: string; startToCloseTimeout?: string };
const call = (operation: string, input: string, timeouts?: Timeouts) =>
  env.client.workflow.start('callsNexus', {
    taskQueue: callerQueue,
    workflowId: id(`caller-${operation}`),
    args: timeouts ? [endpoint, operation, input, timeouts] : [endpoint, operation, input],
  });
const historyOf = async (handle: { fetchHistory(): Promise<temporal.api.history.v1.IHistory> }): Promise<temporal.api.history.v1.IHistoryEvent[]> =>
  (await handle.fetchHistory()).events ?? [];
const eventTypes = async (handle: { fetchHistory(): Promise<temporal.api.history.v1.IHistory> }): Promise<string[]> =>
  (await historyOf(handle)).map((e) => E.EventType[e.eventType!].replace('EVENT_TYPE_', ''));
const errorOf = (e: unknown): { code?: number; details?: string } => e as { code?: number; details?: string };

async function waitFor<T>(what: () => Promise<T | undefined>, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const found = await what();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await delay(50);
  }
}

test('a synchronous operation completes with the handler answer', async () => {
  const handle = await call('echo', 'hello');
  expect(await handle.result()).toEqual({ result: 'echo hello' });
  const events = await historyOf(handle);
  const types = events.map((e) => E.EventType[e.eventType!]);
  expect(types).toContain('EVENT_TYPE_NEXUS_OPERATION_SCHEDULED');
  expect(types).toContain('EVENT_TYPE_NEXUS_OPERATION_COMPLETED');
  expect(types).not.toContain('EVENT_TYPE_NEXUS_OPERATION_STARTED');
  const scheduled = events.find((e) => e.nexusOperationScheduledEventAttributes)?.nexusOperationScheduledEventAttributes;
  expect(scheduled).toMatchObject({ endpoint, service: 'fax', operation: 'echo' });
  expect(scheduled?.endpointId).toBeTruthy();
  expect(scheduled?.requestId).toBeTruthy();
  const completed = events.find((e) => e.nexusOperationCompletedEventAttributes)?.nexusOperationCompletedEventAttributes;
  expect(Number(completed?.scheduledEventId)).toBe(Number(events.find((e) => e.nexusOperationScheduledEventAttributes)?.eventId));
  expect(completed?.requestId).toBe(scheduled?.requestId);

  // Without a schedule-to-close timeout of its own, an operation gets the run's timeout (as the real server cuts it).
  const bounded = await env.client.workflow.start('callsNexus', {
    taskQueue: callerQueue,
    workflowId: id('caller-bounded'),
    args: [endpoint, 'echo', 'again', {}],
    workflowRunTimeout: '2 minutes',
  });
  expect(await bounded.result()).toEqual({ result: 'echo again' });
  const boundedScheduled = (await historyOf(bounded)).find((e) => e.nexusOperationScheduledEventAttributes)?.nexusOperationScheduledEventAttributes;
  expect(Number(boundedScheduled?.scheduleToCloseTimeout?.seconds)).toBe(120);
});

test('an asynchronous operation starts a workflow and completes when it does (its completion callback)', async () => {
  const input = randomUUID();
  const handle = await call('viaWorkflow', input);
  const backed = env.client.workflow.getHandle(`backed-${input}`);
  await waitFor(async () => ((await eventTypes(handle)).includes('NEXUS_OPERATION_STARTED') ? true : undefined));
  const pending = (await handle.describe()).raw.pendingNexusOperations?.[0];
  expect(pending).toMatchObject({ endpoint, service: 'fax', operation: 'viaWorkflow', state: E.PendingNexusOperationState.PENDING_NEXUS_OPERATION_STATE_STARTED });
  expect(pending?.operationToken).toBeTruthy();
  // The handler's workflow carries the caller's completion callback.
  const started = (await backed.fetchHistory()).events?.[0]?.workflowExecutionStartedEventAttributes;
  expect(started?.completionCallbacks?.[0]?.nexus?.url).toBe('temporal://system');
  await backed.signal('release');
  expect(await handle.result()).toEqual({ result: `handled ${input}` });
  expect((await handle.describe()).raw.pendingNexusOperations ?? []).toHaveLength(0);
});

test('handler errors: retryable ones are retried, a BAD_REQUEST fails the operation; an operation error fails it too', async () => {
  const flaky = await call('flaky', randomUUID());
  expect(await flaky.result()).toEqual({ result: 'sent on attempt 3' });

  const rejected = await call('rejects', 'x');
  const outcome = await rejected.result();
  expect(outcome.failure).toContain('NexusOperationFailure');
  expect(outcome.cause).toContain('no faxes to that country');
  const failed = (await historyOf(rejected)).find((e) => e.nexusOperationFailedEventAttributes)?.nexusOperationFailedEventAttributes?.failure;
  expect(failed).toMatchObject({ message: 'nexus operation completed unsuccessfully', nexusOperationExecutionFailureInfo: { endpoint, service: 'fax', operation: 'rejects' } });
  expect(failed?.cause?.nexusHandlerFailureInfo?.type).toBe('BAD_REQUEST');
  expect(failed?.cause?.message).toBe('handler error (BAD_REQUEST): no faxes to that country');

  // An INTERNAL error is retried by its type, unless the handler says otherwise (its retry behavior).
  const outOfPaper = await call('outOfPaper', 'x');
  expect((await outOfPaper.result()).failure).toContain('NexusOperationFailure');
  const paperFailure = (await historyOf(outOfPaper)).find((e) => e.nexusOperationFailedEventAttributes)?.nexusOperationFailedEventAttributes?.failure?.cause;
  expect(paperFailure?.nexusHandlerFailureInfo).toMatchObject({
    type: 'INTERNAL',
    retryBehavior: E.NexusHandlerErrorRetryBehavior.NEXUS_HANDLER_ERROR_RETRY_BEHAVIOR_NON_RETRYABLE,
  });

  const declined = await call('declines', 'x');
  expect((await declined.result()).cause).toContain('card declined');
  const declinedFailure = (await historyOf(declined)).find((e) => e.nexusOperationFailedEventAttributes)?.nexusOperationFailedEventAttributes?.failure;
  expect(declinedFailure?.cause?.applicationFailureInfo).toBeTruthy();
});

test('describe shows an operation backing off between attempts: its attempt, last failure and next attempt', async () => {
  const handle = await call('busy', 'x');
  const pending = await waitFor(async () => {
    const op = (await handle.describe()).raw.pendingNexusOperations?.[0];
    return op?.state === E.PendingNexusOperationState.PENDING_NEXUS_OPERATION_STATE_BACKING_OFF ? op : undefined;
  });
  expect(pending.attempt).toBeGreaterThanOrEqual(1);
  expect(pending.lastAttemptFailure?.message).toBe('handler error (INTERNAL): line busy');
  expect(pending.lastAttemptFailure?.nexusHandlerFailureInfo?.type).toBe('INTERNAL');
  expect(pending.nextAttemptScheduleTime).toBeTruthy();
  expect(pending.lastAttemptCompleteTime).toBeTruthy();
  expect(Number(pending.scheduleToCloseTimeout?.seconds)).toBe(60);
  await handle.terminate('done looking');
});

test('the schedule-to-close timeout ends a started operation (NexusOperationTimedOut)', async () => {
  const input = randomUUID();
  const handle = await call('viaWorkflow', input, { scheduleToCloseTimeout: '30 seconds' });
  const outcome = await handle.result();
  expect(outcome.failure).toContain('NexusOperationFailure');
  expect(outcome.timeoutType).toBe('SCHEDULE_TO_CLOSE');
  const types = await eventTypes(handle);
  expect(types).toEqual(expect.arrayContaining(['NEXUS_OPERATION_STARTED', 'NEXUS_OPERATION_TIMED_OUT']));
  const timedOut = (await historyOf(handle)).find((e) => e.nexusOperationTimedOutEventAttributes)?.nexusOperationTimedOutEventAttributes?.failure;
  expect(timedOut?.message).toBe('nexus operation completed unsuccessfully');
  expect(timedOut?.cause).toMatchObject({ message: 'operation timed out', timeoutFailureInfo: { timeoutType: E.TimeoutType.TIMEOUT_TYPE_SCHEDULE_TO_CLOSE } });
  await env.client.workflow.getHandle(`backed-${input}`).terminate('caller gave up');
});

test('the start-to-close timeout ends an operation that started but did not finish in time', async () => {
  const input = randomUUID();
  const handle = await call('viaWorkflow', input, { scheduleToCloseTimeout: '1 hour', startToCloseTimeout: '20 seconds' });
  const outcome = await handle.result();
  expect(outcome.timeoutType).toBe('START_TO_CLOSE');
  const scheduled = (await historyOf(handle)).find((e) => e.nexusOperationScheduledEventAttributes)?.nexusOperationScheduledEventAttributes;
  expect(Number(scheduled?.startToCloseTimeout?.seconds)).toBe(20);
  await env.client.workflow.getHandle(`backed-${input}`).terminate('caller gave up');
});

test('the schedule-to-start timeout ends an operation whose handler has not answered in time', async () => {
  const handle = await call('slow', 'x', { scheduleToCloseTimeout: '1 minute', scheduleToStartTimeout: '1 second' });
  const outcome = await handle.result();
  expect(outcome.timeoutType).toBe('SCHEDULE_TO_START');
  expect(await eventTypes(handle)).not.toContain('NEXUS_OPERATION_STARTED');
});

test("the handler workflow's completion callback goes with it through a retry and a continue-as-new to its last run", async () => {
  const input = randomUUID();
  const handle = await call('viaChain', input);
  expect(await handle.result()).toEqual({ result: `chain done ${input} (run later)` });
  const chain = env.client.workflow.getHandle(`chain-${input}`);
  const last = (await chain.fetchHistory()).events?.[0]?.workflowExecutionStartedEventAttributes;
  expect(last?.initiator).toBe(E.ContinueAsNewInitiator.CONTINUE_AS_NEW_INITIATOR_WORKFLOW);
  expect(last?.completionCallbacks?.[0]?.nexus?.url).toBe('temporal://system');
});

test('a handler workflow that is terminated fails the operation ("operation terminated")', async () => {
  const input = randomUUID();
  const handle = await call('viaWorkflow', input);
  await waitFor(async () => ((await eventTypes(handle)).includes('NEXUS_OPERATION_STARTED') ? true : undefined));
  await env.client.workflow.getHandle(`backed-${input}`).terminate('no longer needed');
  const outcome = await handle.result();
  expect(outcome.failure).toContain('NexusOperationFailure');
  expect(outcome.cause).toContain('operation terminated');
  const failed = (await historyOf(handle)).find((e) => e.nexusOperationFailedEventAttributes)?.nexusOperationFailedEventAttributes?.failure;
  expect(failed?.cause).toMatchObject({ message: 'operation terminated', terminatedFailureInfo: {} });
});

test('canceling a started operation reaches the handler: its workflow is cancelled, and so is the operation', async () => {
  const input = randomUUID();
  const handle = await env.client.workflow.start('cancelsNexus', { taskQueue: callerQueue, workflowId: id('canceller'), args: [endpoint, input] });
  expect(await handle.result()).toBe('NexusOperationFailure caused by CancelledFailure');
  const types = await eventTypes(handle);
  expect(types).toEqual(expect.arrayContaining(['NEXUS_OPERATION_STARTED', 'NEXUS_OPERATION_CANCEL_REQUESTED', 'NEXUS_OPERATION_CANCELED']));
  // The handler took the cancel request (recorded, for workers that want it) before the operation ended.
  expect(types.indexOf('NEXUS_OPERATION_CANCEL_REQUEST_COMPLETED')).toBeGreaterThan(types.indexOf('NEXUS_OPERATION_CANCEL_REQUESTED'));
  expect((await env.client.workflow.getHandle(`backed-${input}`).describe()).status.name).toBe('CANCELLED');
});

test('canceling an operation before it started cancels it at once, as the real server does', async () => {
  const handle = await env.client.workflow.start('cancelsBeforeStart', { taskQueue: callerQueue, workflowId: id('early-canceller'), args: [endpoint, 'x'] });
  expect(await handle.result()).toBe('NexusOperationFailure caused by CancelledFailure: operation canceled before started');
  const types = await eventTypes(handle);
  expect(types).not.toContain('NEXUS_OPERATION_STARTED');
  // The cancel request and the cancellation are written together, in the task that asked.
  expect(types.indexOf('NEXUS_OPERATION_CANCELED')).toBe(types.indexOf('NEXUS_OPERATION_CANCEL_REQUESTED') + 1);
});

describe('on a dev-server engine (namespaces are checked)', () => {
  let engine: RunningEngine;
  let conn: Connection;
  beforeAll(async () => {
    // A short request timeout (the dev server's dynamic config key) so an unanswered request is retried within the test; a small blob limit.
    engine = await startEngine({
      port: 0,
      inMemory: true,
      log: silentLogger,
      dynamicConfig: { 'component.nexusoperations.request.timeout': '1s', 'limit.blobSize.error': '4096' },
    });
    conn = await Connection.connect({ address: engine.address });
  });
  afterAll(async () => {
    await conn?.close();
    await engine?.stop();
  });
  const worker = (taskQueue: string, namespace = 'default') => ({ worker: { namespace, taskQueue } });

  /** A caller workflow driven by hand: its first task schedules one operation on a new endpoint; returns what the test needs. */
  async function scheduleOne(): Promise<{ workflowId: string; callerQueue: string; handlerQueue: string }> {
    const svc = conn.workflowService;
    const name = `ep-${randomUUID().slice(0, 8)}`;
    const handlerQueue = `h-${randomUUID()}`;
    const callerQueue = `c-${randomUUID()}`;
    const workflowId = `caller-${randomUUID()}`;
    await conn.operatorService.createNexusEndpoint({ spec: { name, target: worker(handlerQueue) } });
    await svc.startWorkflowExecution({ namespace: 'default', workflowId, workflowType: { name: 'w' }, taskQueue: { name: callerQueue }, requestId: randomUUID() });
    const task = await pollWft(callerQueue);
    await svc.respondWorkflowTaskCompleted({
      namespace: 'default',
      taskToken: task.taskToken,
      identity: 'w',
      commands: [
        {
          commandType: E.CommandType.COMMAND_TYPE_SCHEDULE_NEXUS_OPERATION,
          scheduleNexusOperationCommandAttributes: { endpoint: name, service: 'fax', operation: 'send', input: {} },
        },
      ],
    });
    return { workflowId, callerQueue, handlerQueue };
  }
  const pollWft = (queue: string) =>
    conn.withDeadline(Date.now() + 15_000, () => conn.workflowService.pollWorkflowTaskQueue({ namespace: 'default', taskQueue: { name: queue }, identity: 'w' }));
  const pollNexus = (queue: string) =>
    conn.withDeadline(Date.now() + 15_000, () => conn.workflowService.pollNexusTaskQueue({ namespace: 'default', taskQueue: { name: queue }, identity: 'h' }));
  const typesOf = async (workflowId: string): Promise<string[]> =>
    ((await conn.workflowService.getWorkflowExecutionHistory({ namespace: 'default', execution: { workflowId } })).history?.events ?? []).map((e) => E.EventType[e.eventType!]);

  test('an unanswered request times out (the request timeout) and goes out again; the late answer is refused', async () => {
    const { workflowId, handlerQueue } = await scheduleOne();
    const first = await pollNexus(handlerQueue);
    const second = await pollNexus(handlerQueue);
    expect(second.request?.startOperation?.requestId).toBe(first.request?.startOperation?.requestId);
    const pending = (await conn.workflowService.describeWorkflowExecution({ namespace: 'default', execution: { workflowId } })).pendingNexusOperations?.[0];
    expect(pending).toMatchObject({ attempt: 2, state: E.PendingNexusOperationState.PENDING_NEXUS_OPERATION_STATE_SCHEDULED });
    expect(pending?.lastAttemptFailure).toMatchObject({ message: 'handler error (UPSTREAM_TIMEOUT): upstream timeout', nexusHandlerFailureInfo: { type: 'UPSTREAM_TIMEOUT' } });
    const late = errorOf(
      await conn.workflowService
        .respondNexusTaskCompleted({ namespace: 'default', identity: 'h', taskToken: first.taskToken, response: { startOperation: { syncSuccess: { payload: {} } } } })
        .catch((e: unknown) => e),
    );
    expect(late.code).toBe(5);
    await conn.workflowService.respondNexusTaskCompleted({
      namespace: 'default',
      identity: 'h',
      taskToken: second.taskToken,
      response: { startOperation: { syncSuccess: { payload: {} } } },
    });
    expect(await typesOf(workflowId)).toContain('EVENT_TYPE_NEXUS_OPERATION_COMPLETED');
  });

  test("a completion that arrives before the start's answer records the operation started, then completed", async () => {
    const { workflowId, callerQueue, handlerQueue } = await scheduleOne();
    const svc = conn.workflowService;
    const task = await pollNexus(handlerQueue);
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
    // A callback to anywhere else is refused: the engine delivers only its own.
    const elsewhere = errorOf(
      await svc
        .startWorkflowExecution({
          namespace: 'default',
          workflowId: `other-${randomUUID()}`,
          workflowType: { name: 'h' },
          taskQueue: { name: handlerQueue },
          requestId: randomUUID(),
          completionCallbacks: [{ nexus: { url: 'https://example.com/callback' } }],
        })
        .catch((e: unknown) => e),
    );
    expect(elsewhere.code).toBe(12);
    const handlerTask = await pollWft(handlerQueue);
    await svc.respondWorkflowTaskCompleted({
      namespace: 'default',
      taskToken: handlerTask.taskToken,
      identity: 'h',
      commands: [{ commandType: E.CommandType.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION, completeWorkflowExecutionCommandAttributes: {} }],
    });
    const types = await typesOf(workflowId);
    // Both events in one transaction, the workflow task after them.
    expect(types.slice(-3)).toEqual(['EVENT_TYPE_NEXUS_OPERATION_STARTED', 'EVENT_TYPE_NEXUS_OPERATION_COMPLETED', 'EVENT_TYPE_WORKFLOW_TASK_SCHEDULED']);
    // The start's answer comes too late: the operation is over.
    const late = errorOf(
      await svc
        .respondNexusTaskCompleted({
          namespace: 'default',
          identity: 'h',
          taskToken: task.taskToken,
          response: { startOperation: { asyncSuccess: { operationToken: handlerId } } },
        })
        .catch((e: unknown) => e),
    );
    expect(late.code).toBe(5);
    expect((await pollWft(callerQueue)).history?.events?.map((e) => E.EventType[e.eventType!])).toContain('EVENT_TYPE_NEXUS_OPERATION_COMPLETED');
  });

  test('a cancel request the handler refuses is recorded (CancelRequestFailed) and describe shows it; the operation goes on', async () => {
    const { workflowId, callerQueue, handlerQueue } = await scheduleOne();
    const svc = conn.workflowService;
    const start = await pollNexus(handlerQueue);
    await svc.respondNexusTaskCompleted({
      namespace: 'default',
      identity: 'h',
      taskToken: start.taskToken,
      response: { startOperation: { asyncSuccess: { operationToken: 'op-1' } } },
    });
    const woken = await pollWft(callerQueue);
    const scheduledEventId = woken.history?.events?.find((e) => e.nexusOperationScheduledEventAttributes)?.eventId;
    await svc.respondWorkflowTaskCompleted({
      namespace: 'default',
      taskToken: woken.taskToken,
      identity: 'w',
      commands: [{ commandType: E.CommandType.COMMAND_TYPE_REQUEST_CANCEL_NEXUS_OPERATION, requestCancelNexusOperationCommandAttributes: { scheduledEventId } }],
    });
    const cancel = await pollNexus(handlerQueue);
    expect(cancel.request?.cancelOperation).toMatchObject({ service: 'fax', operation: 'send', operationToken: 'op-1' });
    await svc.respondNexusTaskFailed({
      namespace: 'default',
      identity: 'h',
      taskToken: cancel.taskToken,
      error: { errorType: 'BAD_REQUEST', failure: { message: 'too late to cancel' } },
    });
    const events = (await svc.getWorkflowExecutionHistory({ namespace: 'default', execution: { workflowId } })).history?.events ?? [];
    const failed = events.find((e) => e.nexusOperationCancelRequestFailedEventAttributes);
    expect(failed?.workerMayIgnore).toBe(true);
    expect(failed?.nexusOperationCancelRequestFailedEventAttributes?.failure).toMatchObject({
      message: 'handler error (BAD_REQUEST): too late to cancel',
      nexusHandlerFailureInfo: { type: 'BAD_REQUEST' },
    });
    const pending = (await svc.describeWorkflowExecution({ namespace: 'default', execution: { workflowId } })).pendingNexusOperations?.[0];
    expect(pending?.state).toBe(E.PendingNexusOperationState.PENDING_NEXUS_OPERATION_STATE_STARTED);
    expect(pending?.cancellationInfo).toMatchObject({ state: E.NexusOperationCancellationState.NEXUS_OPERATION_CANCELLATION_STATE_FAILED, attempt: 1 });
    expect(pending?.cancellationInfo?.lastAttemptFailure?.message).toBe('handler error (BAD_REQUEST): too late to cancel');
    expect(pending?.cancellationInfo?.requestedTime).toBeTruthy();
  });

  test('a cancel request that fails retryably is retried after a backoff (describe shows it) until the handler takes it', async () => {
    const { workflowId, callerQueue, handlerQueue } = await scheduleOne();
    const svc = conn.workflowService;
    const start = await pollNexus(handlerQueue);
    await svc.respondNexusTaskCompleted({
      namespace: 'default',
      identity: 'h',
      taskToken: start.taskToken,
      response: { startOperation: { asyncSuccess: { operationToken: 'op-2' } } },
    });
    const woken = await pollWft(callerQueue);
    const scheduledEventId = woken.history?.events?.find((e) => e.nexusOperationScheduledEventAttributes)?.eventId;
    await svc.respondWorkflowTaskCompleted({
      namespace: 'default',
      taskToken: woken.taskToken,
      identity: 'w',
      commands: [{ commandType: E.CommandType.COMMAND_TYPE_REQUEST_CANCEL_NEXUS_OPERATION, requestCancelNexusOperationCommandAttributes: { scheduledEventId } }],
    });
    const first = await pollNexus(handlerQueue);
    await svc.respondNexusTaskFailed({ namespace: 'default', identity: 'h', taskToken: first.taskToken, error: { errorType: 'INTERNAL', failure: { message: 'try again' } } });
    const backingOff = (await svc.describeWorkflowExecution({ namespace: 'default', execution: { workflowId } })).pendingNexusOperations?.[0]?.cancellationInfo;
    expect(backingOff).toMatchObject({ state: E.NexusOperationCancellationState.NEXUS_OPERATION_CANCELLATION_STATE_BACKING_OFF, attempt: 1 });
    expect(backingOff?.nextAttemptScheduleTime).toBeTruthy();
    const second = await pollNexus(handlerQueue);
    expect(second.request?.cancelOperation?.operationToken).toBe('op-2');
    await svc.respondNexusTaskCompleted({ namespace: 'default', identity: 'h', taskToken: second.taskToken, response: { cancelOperation: {} } });
    const types = await typesOf(workflowId);
    expect(types).toContain('EVENT_TYPE_NEXUS_OPERATION_CANCEL_REQUEST_COMPLETED');
    expect(types).not.toContain('EVENT_TYPE_NEXUS_OPERATION_CANCEL_REQUEST_FAILED');
    const done = (await svc.describeWorkflowExecution({ namespace: 'default', execution: { workflowId } })).pendingNexusOperations?.[0]?.cancellationInfo;
    expect(done).toMatchObject({ state: E.NexusOperationCancellationState.NEXUS_OPERATION_CANCELLATION_STATE_SUCCEEDED, attempt: 2 });
  });

  test('endpoints: create refuses a taken name, get, list by name and by page, update with the version, delete', async () => {
    const ops = conn.operatorService;
    const name = `ep-${randomUUID().slice(0, 8)}`;
    const { endpoint: created } = await ops.createNexusEndpoint({ spec: { name, target: worker('q1') } });
    expect(created).toMatchObject({ version: Long.fromNumber(1), spec: { name, target: worker('q1') }, urlPrefix: `/nexus/endpoints/${created!.id}/services` });
    const again = errorOf(await ops.createNexusEndpoint({ spec: { name, target: worker('q1') } }).catch((e: unknown) => e));
    expect(again).toMatchObject({ code: 6, details: `error creating Nexus endpoint. Endpoint with name ${name} already registered` });
    expect((await ops.getNexusEndpoint({ id: created!.id })).endpoint?.spec?.name).toBe(name);
    expect((await ops.listNexusEndpoints({ name })).endpoints?.map((e) => e.id)).toEqual([created!.id]);
    expect((await ops.listNexusEndpoints({ name: 'nobody-by-that-name' })).endpoints).toEqual([]);

    const stale = errorOf(await ops.updateNexusEndpoint({ id: created!.id, version: Long.fromNumber(7), spec: { name, target: worker('q2') } }).catch((e: unknown) => e));
    expect(stale).toMatchObject({ code: 9, details: 'nexus endpoint version mismatch. received: 7 expected 1' });
    const { endpoint: updated } = await ops.updateNexusEndpoint({ id: created!.id, version: created!.version, spec: { name, target: worker('q2') } });
    expect(updated?.spec?.target?.worker?.taskQueue).toBe('q2');
    expect(Number(updated?.version)).toBe(2);

    // Paging: in id order, the token naming the next endpoint.
    await Promise.all([1, 2, 3].map((n) => ops.createNexusEndpoint({ spec: { name: `${name}-${n}`, target: worker('q1') } })));
    const all = (await ops.listNexusEndpoints({ pageSize: 1000 })).endpoints?.map((e) => e.id) ?? [];
    expect(all.length).toBeGreaterThanOrEqual(4);
    expect(all).toEqual([...all].sort());
    const paged: string[] = [];
    let token: Uint8Array | undefined;
    do {
      const page = await ops.listNexusEndpoints({ pageSize: 3, nextPageToken: token });
      expect(page.endpoints?.length).toBeLessThanOrEqual(3);
      paged.push(...(page.endpoints ?? []).map((e) => e.id!));
      token = page.nextPageToken?.length ? page.nextPageToken : undefined;
    } while (token);
    expect(paged).toEqual(all);

    // Delete asks for a positive version, but not the current one (the real server does not compare it).
    const badVersion = errorOf(await ops.deleteNexusEndpoint({ id: created!.id, version: Long.fromNumber(0) }).catch((e: unknown) => e));
    expect(badVersion).toMatchObject({ code: 3, details: 'endpoint version is non-positive' });
    await ops.deleteNexusEndpoint({ id: created!.id, version: Long.fromNumber(1) });
    const gone = errorOf(await ops.getNexusEndpoint({ id: created!.id }).catch((e: unknown) => e));
    expect(gone).toMatchObject({ code: 5, details: `Nexus endpoint with ID \`${created!.id}\` not found` });
    const goneAgain = errorOf(await ops.deleteNexusEndpoint({ id: created!.id, version: Long.fromNumber(1) }).catch((e: unknown) => e));
    expect(goneAgain).toMatchObject({ code: 5, details: `error deleting nexus endpoint with ID: ${created!.id}` });
  });

  test("endpoints: the real server's refusals of names, targets and ids", async () => {
    const ops = conn.operatorService;
    const refusal = async (p: Promise<unknown>) => errorOf(await p.catch((e: unknown) => e));
    const badName = 'endpoint name must match the regex: "^[a-zA-Z][a-zA-Z0-9-]*[a-zA-Z0-9]$"';
    for (const name of ['fax_line', '1fax', 'fax-', 'fax.line']) {
      expect(await refusal(ops.createNexusEndpoint({ spec: { name, target: worker('q') } }))).toMatchObject({ code: 3, details: badName });
    }
    expect(await refusal(ops.createNexusEndpoint({ spec: { name: '', target: worker('q') } }))).toMatchObject({ code: 3, details: 'endpoint name not set' });
    expect(await refusal(ops.createNexusEndpoint({ spec: { name: 'fax' } }))).toMatchObject({ code: 3, details: 'empty target variant' });
    expect(await refusal(ops.createNexusEndpoint({ spec: { name: 'fax', target: worker('') } }))).toMatchObject({
      code: 3,
      details: 'invalid target task queue: "taskQueue is not set"',
    });
    expect(await refusal(ops.createNexusEndpoint({ spec: { name: 'x'.repeat(201), target: worker('') } }))).toMatchObject({
      code: 3,
      details: 'endpoint name exceeds length limit of 200, invalid target task queue: "taskQueue is not set"',
    });
    expect(await refusal(ops.createNexusEndpoint({ spec: { name: 'fax', target: worker('q', 'no-such-namespace') } }))).toMatchObject({
      code: 9,
      details: 'could not verify namespace referenced by target exists: Namespace no-such-namespace is not found.',
    });
    expect(await refusal(ops.createNexusEndpoint({ spec: { name: 'fax', target: { external: { url: 'https://example.com' } } } }))).toMatchObject({ code: 12 });
    const description = { metadata: { encoding: Buffer.from('binary/plain') }, data: Buffer.alloc(20_001) };
    expect(await refusal(ops.createNexusEndpoint({ spec: { name: 'fax', description, target: worker('q') } }))).toMatchObject({
      code: 3,
      details: 'description size exceeds limit of 20000',
    });
    expect(await refusal(ops.getNexusEndpoint({ id: 'not-a-uuid' }))).toMatchObject({ code: 3, details: 'malformed endpoint ID: "invalid UUID format"' });
    expect(await refusal(ops.getNexusEndpoint({ id: '' }))).toMatchObject({ code: 3, details: 'endpoint ID not set' });
    expect(await refusal(ops.updateNexusEndpoint({ id: randomUUID(), version: Long.fromNumber(1), spec: { name: 'fax', target: worker('q') } }))).toMatchObject({
      code: 5,
    });
    expect(await refusal(ops.listNexusEndpoints({ pageSize: 1001 }))).toMatchObject({ code: 3, details: 'page_size exceeds limit of 1000' });
  });

  test("ScheduleNexusOperation is checked as the real server checks it: the endpoint, names, the input's size, at most 30 pending operations", async () => {
    const svc = conn.workflowService;
    const name = `lim-${randomUUID().slice(0, 8)}`;
    await conn.operatorService.createNexusEndpoint({ spec: { name, target: worker(`h-${randomUUID()}`) } });
    const queue = `caller-${randomUUID()}`;
    const workflowId = `limits-${randomUUID()}`;
    await svc.startWorkflowExecution({ namespace: 'default', workflowId, workflowType: { name: 'w' }, taskQueue: { name: queue }, requestId: randomUUID() });
    const schedule = (endpointName: string) => ({
      commandType: E.CommandType.COMMAND_TYPE_SCHEDULE_NEXUS_OPERATION,
      scheduleNexusOperationCommandAttributes: { endpoint: endpointName, service: 'fax', operation: 'echo', input: {} },
    });
    const poll = () => conn.withDeadline(Date.now() + 15_000, () => svc.pollWorkflowTaskQueue({ namespace: 'default', taskQueue: { name: queue }, identity: 'w' }));
    const failedCause = async () => {
      const events = (await svc.getWorkflowExecutionHistory({ namespace: 'default', execution: { workflowId } })).history?.events ?? [];
      const failed = events.filter((e) => e.workflowTaskFailedEventAttributes).pop()?.workflowTaskFailedEventAttributes;
      return { cause: failed?.cause, message: failed?.failure?.message };
    };

    const first = await poll();
    await svc.respondWorkflowTaskCompleted({ namespace: 'default', taskToken: first.taskToken, identity: 'w', commands: [schedule('no-such-endpoint')] }).catch(() => undefined);
    expect(await failedCause()).toEqual({
      cause: E.WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_BAD_SCHEDULE_NEXUS_OPERATION_ATTRIBUTES,
      message: 'BadScheduleNexusOperationAttributes: endpoint "no-such-endpoint" not found',
    });

    // A retried task's failure stays out of the history (as the real server's transient tasks): the refusal says it.
    const longName = await poll();
    const tooLong = errorOf(
      await svc
        .respondWorkflowTaskCompleted({
          namespace: 'default',
          taskToken: longName.taskToken,
          identity: 'w',
          commands: [{ ...schedule(name), scheduleNexusOperationCommandAttributes: { endpoint: name, service: 'f'.repeat(1001), operation: 'echo' } }],
        })
        .catch((e: unknown) => e),
    );
    expect(tooLong).toMatchObject({ code: 3, details: 'BadScheduleNexusOperationAttributes: ScheduleNexusOperationCommandAttributes.Service exceeds length limit of 1000' });

    const second = await poll();
    const tooMany = Array.from({ length: 31 }, () => schedule(name));
    const refused = errorOf(
      await svc.respondWorkflowTaskCompleted({ namespace: 'default', taskToken: second.taskToken, identity: 'w', commands: tooMany }).catch((e: unknown) => e),
    );
    expect(refused).toMatchObject({
      code: 3,
      details: 'PendingNexusOperationsLimitExceeded: workflow has reached the pending nexus operation limit of 30 for this namespace',
    });

    const third = await poll();
    await svc.respondWorkflowTaskCompleted({ namespace: 'default', taskToken: third.taskToken, identity: 'w', commands: tooMany.slice(0, 30) });
    const described = await svc.describeWorkflowExecution({ namespace: 'default', execution: { workflowId } });
    expect(described.pendingNexusOperations).toHaveLength(30);
    await svc.signalWorkflowExecution({ namespace: 'default', workflowExecution: { workflowId }, signalName: 'wake', identity: 'test', requestId: randomUUID() });
    const big = await poll();
    const oversized = errorOf(
      await svc
        .respondWorkflowTaskCompleted({
          namespace: 'default',
          taskToken: big.taskToken,
          identity: 'w',
          commands: [{ ...schedule(name), scheduleNexusOperationCommandAttributes: { endpoint: name, service: 'fax', operation: 'echo', input: { data: Buffer.alloc(5000) } } }],
        })
        .catch((e: unknown) => e),
    );
    // The one over the blob limit: the real server fails the task and ends the workflow (the same task would come again).
    expect(oversized).toMatchObject({ code: 3, details: 'BadScheduleNexusOperationAttributes: ScheduleNexusOperationCommandAttributes.Input exceeds size limit' });
    const closed = await svc.describeWorkflowExecution({ namespace: 'default', execution: { workflowId } });
    expect(closed.workflowExecutionInfo?.status).toBe(E.WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_TERMINATED);
    expect(described.pendingNexusOperations?.[0]).toMatchObject({ endpoint: name, state: E.PendingNexusOperationState.PENDING_NEXUS_OPERATION_STATE_SCHEDULED, attempt: 1 });
  });
});
