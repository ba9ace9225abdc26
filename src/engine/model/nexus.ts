import { randomUUID } from 'node:crypto';
import type { Engine } from '../engine';
import { sizeOf } from '../dynamic-config';
import { notFound } from '../grpc/errors';
import { enums, protoRoot, type Command, type Failure, type HistoryEvent, type temporal, type Plain } from '../proto';
import { durationMs, msDuration, msTimestamp } from '../time';
import { encodeToken } from '../tokens';
import { addEvent, addExternal } from './events';
import { scheduleWft } from './schedule-workflow-task';
import type { Execution, NexusOperationState } from './state';

/**
 * Nexus operations, caller side, as the real server runs them for an endpoint whose target is a
 * worker: the start request is a Nexus task on the target's task queue; a synchronous answer
 * completes the operation, an asynchronous one starts it (its end comes by the completion
 * callback the handler's workflow carries); handler errors are retried with backoff unless the
 * handler says they are not retryable; the schedule-to-close timeout ends it; a cancel request
 * reaches the handler once the operation started.
 */

const EventType = enums.EventType;
type NexusFailure = Plain<temporal.api.nexus.v1.Failure.$Properties>;
type ScheduleAttributes = NonNullable<Command['scheduleNexusOperationCommandAttributes']>;
type PollResponse = Plain<temporal.api.workflowservice.v1.PollNexusTaskQueueResponse.$Properties>;
type StartResponse = Plain<temporal.api.nexus.v1.StartOperationResponse.$Properties>;
type HandlerError = Plain<temporal.api.nexus.v1.HandlerError.$Properties>;

/** The callback URL the real server gives handlers for completions that stay inside the server. */
export const SYSTEM_CALLBACK_URL = 'temporal://system';
const CALLBACK_TOKEN_HEADER = 'temporal-callback-token';
/** The real server's retry backoff between attempts (1 s doubling, at most 1 h); the request timeout is dynamic config. */
const backoffMs = (attempt: number): number => Math.min(1000 * 2 ** (attempt - 1), 3_600_000);
/** Handler error types the Nexus spec makes non-retryable (unless the handler says otherwise). */
const NON_RETRYABLE = new Set(['BAD_REQUEST', 'UNAUTHENTICATED', 'UNAUTHORIZED', 'NOT_FOUND', 'NOT_IMPLEMENTED']);
const FailureType = protoRoot.lookupType('temporal.api.failure.v1.Failure');

const ops = (run: Execution): Record<string, NexusOperationState> => (run.state.nexusOps ??= {});
const timerKey = (run: Execution, op: NexusOperationState, what: string): string => `nexus/${what}/${run.runId}/${op.scheduledEventId}`;

/**
 * A Nexus failure as a Temporal failure, as the real server reads one: a serialized Temporal
 * failure when its metadata says so, else an application failure keeping the Nexus failure.
 */
export function nexusToTemporalFailure(f: NexusFailure | null | undefined): Failure {
  const out: Failure = { message: f?.message ?? '', stackTrace: f?.stackTrace ?? '' };
  if (f?.metadata?.type === 'temporal.api.failure.v1.Failure' && f.details?.length) {
    const parsed = FailureType.toObject(FailureType.fromObject(JSON.parse(Buffer.from(f.details).toString('utf8')) as Record<string, unknown>), { longs: Number }) as Failure;
    Object.assign(out, parsed, { message: f.message ?? '', stackTrace: f.stackTrace ?? '' });
  } else if (f?.metadata?.type === 'nexus.OperationError') {
    const state = (JSON.parse(Buffer.from(f.details ?? []).toString('utf8')) as { state?: string }).state;
    if (state === 'canceled') out.canceledFailureInfo = {};
    else out.applicationFailureInfo = { nonRetryable: true, type: 'OperationError' };
  } else if (f?.details?.length || Object.keys(f?.metadata ?? {}).length) {
    const kept = { metadata: f?.metadata, details: f?.details ? Buffer.from(f.details).toString('base64') : undefined };
    out.applicationFailureInfo = { details: { payloads: [{ metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from(JSON.stringify(kept)) }] } };
  }
  if (f?.cause) out.cause = nexusToTemporalFailure(f.cause);
  return out;
}

/** The failure an operation ends with: the real server's wrapper naming the operation, around the cause. */
function operationFailure(op: NexusOperationState, cause: Failure): Failure {
  return {
    message: 'nexus operation completed unsuccessfully',
    nexusOperationExecutionFailureInfo: {
      scheduledEventId: op.scheduledEventId,
      endpoint: op.endpoint,
      service: op.service,
      operation: op.operation,
      operationToken: op.operationToken ?? '',
      operationId: op.operationToken ?? '',
    },
    cause,
  };
}

/** The Nexus rule: the handler's explicit retry behavior, else its error type. */
function isRetryable(type: string, behavior: number): boolean {
  const Behavior = enums.NexusHandlerErrorRetryBehavior;
  if (behavior === Behavior.NEXUS_HANDLER_ERROR_RETRY_BEHAVIOR_RETRYABLE) return true;
  if (behavior === Behavior.NEXUS_HANDLER_ERROR_RETRY_BEHAVIOR_NON_RETRYABLE) return false;
  return !NON_RETRYABLE.has(type);
}

/** A handler error as the real server records it: NexusHandlerFailureInfo, its message the Nexus SDK's. */
function handlerFailure(error: HandlerError): { failure: Failure; retryable: boolean } {
  const type = error.errorType ?? 'INTERNAL';
  const behavior = Number(error.retryBehavior ?? 0);
  const cause = error.failure ? nexusToTemporalFailure(error.failure) : { message: 'unknown cause', applicationFailureInfo: {} };
  const retryable = isRetryable(type, behavior);
  return { failure: { message: `handler error (${type}): ${cause.message ?? ''}`, nexusHandlerFailureInfo: { type, retryBehavior: behavior }, cause }, retryable };
}

function clearTimers(engine: Engine, run: Execution, op: NexusOperationState): void {
  for (const what of ['request', 'backoff', 'timeout', 'start-timeout', 'close-timeout', 'cancel']) engine.clock.clear(timerKey(run, op, what));
}

/** The operation ended: its event is written (buffered while a task runs) and the workflow told. */
function end<
  K extends 'nexusOperationCompletedEventAttributes' | 'nexusOperationFailedEventAttributes' | 'nexusOperationCanceledEventAttributes' | 'nexusOperationTimedOutEventAttributes',
>(engine: Engine, run: Execution, op: NexusOperationState, type: number, key: K, attrs: Parameters<typeof addExternal<K>>[4]): void {
  clearTimers(engine, run, op);
  delete ops(run)[op.scheduledEventId];
  addExternal(engine, run, type, key, attrs);
  engine.touch(run);
  scheduleWft(engine, run);
}

function fail(engine: Engine, run: Execution, op: NexusOperationState, cause: Failure): void {
  end(engine, run, op, EventType.EVENT_TYPE_NEXUS_OPERATION_FAILED, 'nexusOperationFailedEventAttributes', {
    scheduledEventId: op.scheduledEventId,
    failure: operationFailure(op, cause),
    requestId: op.requestId,
  });
}

/** Puts the operation's start request (or its cancel request) on the endpoint's task queue, with a deadline for the answer. */
function dispatch(engine: Engine, run: Execution, op: NexusOperationState, cancel: boolean): void {
  const endpoint = engine.endpoints.byId.get(op.endpointId) ?? engine.endpoints.byName(op.endpoint);
  if (!endpoint) {
    // As the real server: an endpoint that is gone fails the request, not retried.
    const notRegistered = handlerFailure({ errorType: 'NOT_FOUND', failure: { message: 'endpoint not registered' } }).failure;
    if (cancel) cancelFailed(engine, run, op, notRegistered);
    else fail(engine, run, op, notRegistered);
    return;
  }
  const attempt = cancel ? (op.cancel?.attempt ?? 1) : op.attempt;
  engine.matching.push(endpoint.target.namespace, endpoint.target.taskQueue, 'nexus', { kind: 'nexus', runId: run.runId, scheduledEventId: op.scheduledEventId, attempt, cancel });
  // As the real server: a request gets at most its timeout, and no more than the operation has left.
  const deadlines = [engine.config.nexusRequestTimeoutMs];
  if (op.scheduleToCloseMs) deadlines.push(op.scheduledTime + op.scheduleToCloseMs - engine.now());
  if (!cancel && op.scheduleToStartMs) deadlines.push(op.scheduledTime + op.scheduleToStartMs - engine.now());
  const due = engine.now() + Math.max(0, Math.min(...deadlines));
  engine.clock.set(timerKey(run, op, cancel ? 'cancel' : 'request'), due, () =>
    engine.tx(() => {
      const upstream = handlerFailure({ errorType: 'UPSTREAM_TIMEOUT', failure: { message: 'upstream timeout' } }).failure;
      if (cancel) cancelAttemptFailed(engine, run, op, attempt, upstream, true);
      else attemptFailed(engine, run, op, attempt, upstream, true);
    }),
  );
}

/** A failed start attempt: retried after a backoff, or (not retryable) the operation fails. */
function attemptFailed(engine: Engine, run: Execution, op: NexusOperationState, attempt: number, failure: Failure, retryable: boolean): void {
  if (ops(run)[op.scheduledEventId] !== op || op.phase !== 'scheduled' || op.attempt !== attempt) return;
  engine.clock.clear(timerKey(run, op, 'request'));
  if (!retryable) {
    fail(engine, run, op, failure);
    return;
  }
  const now = engine.now();
  Object.assign(op, { phase: 'backoff', lastFailure: failure, lastAttemptCompleteTime: now, retryAt: now + backoffMs(op.attempt) });
  engine.touch(run);
  armBackoff(engine, run, op);
}

function armBackoff(engine: Engine, run: Execution, op: NexusOperationState): void {
  engine.clock.set(timerKey(run, op, 'backoff'), op.retryAt ?? engine.now(), () =>
    engine.tx(() => {
      if (ops(run)[op.scheduledEventId] !== op || op.phase !== 'backoff') return;
      Object.assign(op, { phase: 'scheduled', attempt: op.attempt + 1, retryAt: undefined });
      engine.touch(run);
      dispatch(engine, run, op, false);
    }),
  );
}

/** The operation timed out (schedule-to-close, schedule-to-start or start-to-close): the real server's failure. */
function timedOut(engine: Engine, run: Execution, op: NexusOperationState, timeoutType: number): void {
  if (ops(run)[op.scheduledEventId] !== op || !run.open) return;
  end(engine, run, op, EventType.EVENT_TYPE_NEXUS_OPERATION_TIMED_OUT, 'nexusOperationTimedOutEventAttributes', {
    scheduledEventId: op.scheduledEventId,
    failure: operationFailure(op, { message: 'operation timed out', timeoutFailureInfo: { timeoutType } }),
    requestId: op.requestId,
  });
}

/** The operation's timeouts: schedule-to-close and, until it starts, schedule-to-start; start-to-close once it started. */
function armTimeout(engine: Engine, run: Execution, op: NexusOperationState): void {
  const TimeoutType = enums.TimeoutType;
  if (op.scheduleToCloseMs) {
    engine.clock.set(timerKey(run, op, 'timeout'), op.scheduledTime + op.scheduleToCloseMs, () =>
      engine.tx(() => timedOut(engine, run, op, TimeoutType.TIMEOUT_TYPE_SCHEDULE_TO_CLOSE)),
    );
  }
  if (op.scheduleToStartMs && op.phase !== 'started') {
    engine.clock.set(timerKey(run, op, 'start-timeout'), op.scheduledTime + op.scheduleToStartMs, () =>
      engine.tx(() => {
        if (op.phase !== 'started') timedOut(engine, run, op, TimeoutType.TIMEOUT_TYPE_SCHEDULE_TO_START);
      }),
    );
  }
  if (op.startToCloseMs && op.phase === 'started' && op.startedTime !== undefined) {
    engine.clock.set(timerKey(run, op, 'close-timeout'), op.startedTime + op.startToCloseMs, () =>
      engine.tx(() => timedOut(engine, run, op, TimeoutType.TIMEOUT_TYPE_START_TO_CLOSE)),
    );
  }
}

/** The real server's default limits: pending operations per workflow, a service's or an operation's name. */
const MAX_PENDING_OPERATIONS = 30;
const MAX_NAME_LENGTH = 1000;

/**
 * Checks a completed task's Nexus commands in order, as the real server does: the endpoint must
 * exist, names within limits, at most 30 operations pending; a cancel must name a pending
 * operation not already asked to cancel.
 */
export function nexusCommandChecker(engine: Engine, run: Execution): (command: Command) => { cause: number; message: string } | undefined {
  const Cause = enums.WorkflowTaskFailedCause;
  let pending = Object.keys(run.state.nexusOps ?? {}).length;
  const cancels = new Set<number>();
  return (command) => {
    if (Number(command.commandType) === enums.CommandType.COMMAND_TYPE_REQUEST_CANCEL_NEXUS_OPERATION) {
      const cause = Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_REQUEST_CANCEL_NEXUS_OPERATION_ATTRIBUTES;
      const id = Number(command.requestCancelNexusOperationCommandAttributes?.scheduledEventId ?? 0);
      const op = run.state.nexusOps?.[id];
      if (!op) return { cause, message: `requested cancelation for a non-existing operation with scheduled event ID of ${id}` };
      if (op.cancel || cancels.has(id)) return { cause, message: `cancelation was already requested for an operation with scheduled event ID of ${id}` };
      cancels.add(id);
      return undefined;
    }
    const cause = Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_SCHEDULE_NEXUS_OPERATION_ATTRIBUTES;
    const attributes = command.scheduleNexusOperationCommandAttributes;
    if (!attributes) return { cause, message: 'empty ScheduleNexusOperationCommandAttributes' };
    if (!engine.endpoints.byName(attributes.endpoint ?? '')) return { cause, message: `endpoint "${attributes.endpoint ?? ''}" not found` };
    if ((attributes.service ?? '').length > MAX_NAME_LENGTH)
      return { cause, message: `ScheduleNexusOperationCommandAttributes.Service exceeds length limit of ${MAX_NAME_LENGTH}` };
    if ((attributes.operation ?? '').length > MAX_NAME_LENGTH)
      return { cause, message: `ScheduleNexusOperationCommandAttributes.Operation exceeds length limit of ${MAX_NAME_LENGTH}` };
    // The input's size comes before the pending limit; size-limits.ts reports it (the real server ends the workflow for it).
    if (attributes.input && sizeOf.payloads({ payloads: [attributes.input] }) > engine.config.blobSizeError) return undefined;
    if (++pending > MAX_PENDING_OPERATIONS) {
      return {
        cause: Cause.WORKFLOW_TASK_FAILED_CAUSE_PENDING_NEXUS_OPERATIONS_LIMIT_EXCEEDED,
        message: `workflow has reached the pending nexus operation limit of ${MAX_PENDING_OPERATIONS} for this namespace`,
      };
    }
    return undefined;
  };
}

/** The ScheduleNexusOperation command (validateCommands checked the endpoint): the event, then the first start request. */
export function scheduleNexusOperation(engine: Engine, run: Execution, attrs: ScheduleAttributes, wftCompletedId: number, userMetadata: Command['userMetadata']): void {
  const endpoint = engine.endpoints.byName(attrs.endpoint ?? '');
  // As the real server: the timeout is cut to the run timeout.
  let scheduleToCloseMs = durationMs(attrs.scheduleToCloseTimeout);
  if (run.state.runTimeoutMs > 0 && (!scheduleToCloseMs || scheduleToCloseMs > run.state.runTimeoutMs)) scheduleToCloseMs = run.state.runTimeoutMs;
  const scheduleToStartMs = durationMs(attrs.scheduleToStartTimeout);
  const startToCloseMs = durationMs(attrs.startToCloseTimeout);
  const requestId = randomUUID();
  const scheduled = addEvent(engine, run, EventType.EVENT_TYPE_NEXUS_OPERATION_SCHEDULED, 'nexusOperationScheduledEventAttributes', {
    endpoint: attrs.endpoint ?? '',
    endpointId: endpoint?.id ?? '',
    service: attrs.service ?? '',
    operation: attrs.operation ?? '',
    input: attrs.input ?? undefined,
    scheduleToCloseTimeout: scheduleToCloseMs ? msDuration(scheduleToCloseMs) : undefined,
    scheduleToStartTimeout: scheduleToStartMs ? msDuration(scheduleToStartMs) : undefined,
    startToCloseTimeout: startToCloseMs ? msDuration(startToCloseMs) : undefined,
    nexusHeader: attrs.nexusHeader ?? {},
    workflowTaskCompletedEventId: wftCompletedId,
    requestId,
  });
  if (userMetadata) scheduled.userMetadata = userMetadata;
  const op: NexusOperationState = {
    scheduledEventId: Number(scheduled.eventId),
    endpoint: attrs.endpoint ?? '',
    endpointId: endpoint?.id ?? '',
    service: attrs.service ?? '',
    operation: attrs.operation ?? '',
    requestId,
    scheduledTime: engine.now(),
    scheduleToCloseMs,
    scheduleToStartMs,
    startToCloseMs,
    phase: 'scheduled',
    attempt: 1,
  };
  ops(run)[op.scheduledEventId] = op;
  engine.touch(run);
  armTimeout(engine, run, op);
  dispatch(engine, run, op, false);
}

/**
 * The RequestCancelNexusOperation command. As the real server: an operation that has not started
 * is canceled at once ("operation canceled before started"; a start request still out is
 * forgotten); a started one's cancel request goes to the handler, whose answer is recorded.
 */
export function requestCancelNexusOperation(engine: Engine, run: Execution, scheduledEventId: number, wftCompletedId: number, userMetadata: Command['userMetadata']): void {
  const op = ops(run)[scheduledEventId];
  const requested = addEvent(engine, run, EventType.EVENT_TYPE_NEXUS_OPERATION_CANCEL_REQUESTED, 'nexusOperationCancelRequestedEventAttributes', {
    scheduledEventId,
    workflowTaskCompletedEventId: wftCompletedId,
  });
  if (userMetadata) requested.userMetadata = userMetadata;
  if (op.phase !== 'started') {
    clearTimers(engine, run, op);
    delete ops(run)[op.scheduledEventId];
    addEvent(engine, run, EventType.EVENT_TYPE_NEXUS_OPERATION_CANCELED, 'nexusOperationCanceledEventAttributes', {
      scheduledEventId,
      failure: operationFailure(op, { message: 'operation canceled before started', canceledFailureInfo: {} }),
      requestId: op.requestId,
    });
    run.state.needsWft = true;
    engine.touch(run);
    return;
  }
  op.cancel = { requestedEventId: Number(requested.eventId), requestedTime: engine.now(), phase: 'sent', attempt: 1 };
  engine.touch(run);
  dispatch(engine, run, op, true);
}

function sendCancel(engine: Engine, run: Execution, op: NexusOperationState): void {
  if (!op.cancel) return;
  op.cancel.phase = 'sent';
  engine.touch(run);
  dispatch(engine, run, op, true);
}

function cancelFailed(engine: Engine, run: Execution, op: NexusOperationState, failure: Failure): void {
  if (!op.cancel) return;
  Object.assign(op.cancel, { phase: 'failed', lastFailure: failure, lastAttemptCompleteTime: engine.now(), retryAt: undefined });
  engine.clock.clear(timerKey(run, op, 'cancel'));
  const event = addExternal(engine, run, EventType.EVENT_TYPE_NEXUS_OPERATION_CANCEL_REQUEST_FAILED, 'nexusOperationCancelRequestFailedEventAttributes', {
    scheduledEventId: op.scheduledEventId,
    requestedEventId: op.cancel.requestedEventId,
    failure,
  });
  // As the real server: workers that do not know the event may skip it.
  event.workerMayIgnore = true;
  engine.touch(run);
  scheduleWft(engine, run);
}

function cancelAttemptFailed(engine: Engine, run: Execution, op: NexusOperationState, attempt: number, failure: Failure, retryable: boolean): void {
  const cancel = op.cancel;
  if (ops(run)[op.scheduledEventId] !== op || cancel?.phase !== 'sent' || cancel.attempt !== attempt) return;
  if (!retryable) {
    cancelFailed(engine, run, op, failure);
    return;
  }
  engine.clock.clear(timerKey(run, op, 'cancel'));
  const now = engine.now();
  Object.assign(cancel, { phase: 'backoff', lastFailure: failure, lastAttemptCompleteTime: now, retryAt: now + backoffMs(attempt) });
  engine.touch(run);
  armCancelBackoff(engine, run, op);
}

function armCancelBackoff(engine: Engine, run: Execution, op: NexusOperationState): void {
  const cancel = op.cancel;
  if (!cancel) return;
  engine.clock.set(timerKey(run, op, 'cancel'), cancel.retryAt ?? engine.now(), () =>
    engine.tx(() => {
      if (ops(run)[op.scheduledEventId] !== op || cancel.phase !== 'backoff') return;
      cancel.attempt++;
      cancel.retryAt = undefined;
      sendCancel(engine, run, op);
    }),
  );
}

/** The token a handler's workflow carries in its completion callback: which caller's operation to end. */
function callbackToken(run: Execution, op: NexusOperationState): string {
  return Buffer.from(JSON.stringify({ r: run.runId, w: run.state.workflowId, n: run.state.namespace, e: op.scheduledEventId, q: op.requestId })).toString('base64url');
}

/** Hands a Nexus task to a poller: the start (or cancel) request, if the task is still the operation's current one. */
export function takeNexusTask(engine: Engine, task: { runId: string; scheduledEventId: number; attempt: number; cancel: boolean }): PollResponse | null {
  const run = engine.runs.get(task.runId);
  const op = run?.open ? run.state.nexusOps?.[task.scheduledEventId] : undefined;
  if (!run || !op) return null;
  if (task.cancel ? op.cancel?.phase !== 'sent' || op.cancel.attempt !== task.attempt : op.phase !== 'scheduled' || op.attempt !== task.attempt) return null;
  const scheduled = run.event(op.scheduledEventId)?.nexusOperationScheduledEventAttributes;
  const taskToken = encodeToken({ k: 'n', r: run.runId, e: op.scheduledEventId, a: task.attempt, c: task.cancel ? 1 : 0 });
  const common = { header: scheduled?.nexusHeader ?? {}, scheduledTime: msTimestamp(engine.now()), endpoint: op.endpoint };
  if (task.cancel) {
    return {
      taskToken,
      request: { ...common, cancelOperation: { service: op.service, operation: op.operation, operationToken: op.operationToken ?? '', operationId: op.operationToken ?? '' } },
    };
  }
  return {
    taskToken,
    request: {
      ...common,
      startOperation: {
        service: op.service,
        operation: op.operation,
        requestId: op.requestId,
        callback: SYSTEM_CALLBACK_URL,
        payload: scheduled?.input ?? {},
        callbackHeader: { [CALLBACK_TOKEN_HEADER]: callbackToken(run, op) },
      },
    },
  };
}

/** The operation and attempt a Nexus task token names, if that task is still the one out. */
function taskOf(engine: Engine, token: { r: string; e: number; a: number; c: number }): { run: Execution; op: NexusOperationState } {
  const run = engine.runs.get(token.r);
  const op = run?.open ? run.state.nexusOps?.[token.e] : undefined;
  const current = op && (token.c ? op.cancel?.phase === 'sent' && op.cancel.attempt === token.a : op.phase === 'scheduled' && op.attempt === token.a);
  if (!run || !op || !current) throw notFound('Nexus task not found or already expired');
  return { run, op };
}

/** RespondNexusTaskCompleted: a start answered synchronously, asynchronously or with an operation error; or a cancel delivered. */
export function nexusTaskCompleted(
  engine: Engine,
  token: { r: string; e: number; a: number; c: number },
  response: { startOperation?: StartResponse | null } | null | undefined,
): void {
  const { run, op } = taskOf(engine, token);
  if (token.c) {
    engine.clock.clear(timerKey(run, op, 'cancel'));
    if (op.cancel) Object.assign(op.cancel, { phase: 'succeeded', lastAttemptCompleteTime: engine.now() });
    const event = addExternal(engine, run, EventType.EVENT_TYPE_NEXUS_OPERATION_CANCEL_REQUEST_COMPLETED, 'nexusOperationCancelRequestCompletedEventAttributes', {
      scheduledEventId: op.scheduledEventId,
      requestedEventId: op.cancel?.requestedEventId ?? 0,
    });
    event.workerMayIgnore = true;
    engine.touch(run);
    scheduleWft(engine, run);
    return;
  }
  const start = response?.startOperation;
  if (start?.syncSuccess) {
    end(engine, run, op, EventType.EVENT_TYPE_NEXUS_OPERATION_COMPLETED, 'nexusOperationCompletedEventAttributes', {
      scheduledEventId: op.scheduledEventId,
      result: start.syncSuccess.payload ?? {},
      requestId: op.requestId,
    });
  } else if (start?.asyncSuccess) {
    markStarted(engine, run, op, start.asyncSuccess.operationToken || start.asyncSuccess.operationId || '');
  } else if (start?.operationError || start?.failure) {
    const canceled = start.operationError ? start.operationError.operationState === 'canceled' : !!start.failure?.canceledFailureInfo;
    const cause = start.operationError ? nexusToTemporalFailure(start.operationError.failure) : (start.failure ?? { message: '' });
    endUnsuccessfully(engine, run, op, canceled, cause);
  } else {
    attemptFailed(engine, run, op, token.a, handlerFailure({ errorType: 'INTERNAL', failure: { message: 'empty start operation response' } }).failure, true);
  }
}

/** RespondNexusTaskFailed: a handler error, retried unless it is not retryable. */
export function nexusTaskFailed(
  engine: Engine,
  token: { r: string; e: number; a: number; c: number },
  error: HandlerError | null | undefined,
  failure: Failure | null | undefined,
): void {
  const { run, op } = taskOf(engine, token);
  // A handler error as a Temporal failure (NexusHandlerFailureInfo) is kept as it came; its type and retry behavior decide.
  const info = failure?.nexusHandlerFailureInfo;
  const handled = error
    ? handlerFailure(error)
    : { failure: failure ?? { message: 'handler failed' }, retryable: isRetryable(info?.type ?? 'INTERNAL', Number(info?.retryBehavior ?? 0)) };
  if (token.c) cancelAttemptFailed(engine, run, op, token.a, handled.failure, handled.retryable);
  else attemptFailed(engine, run, op, token.a, handled.failure, handled.retryable);
}

/** The operation started; `wake` false when its end follows in the same transaction (the workflow task comes after both events). */
function markStarted(engine: Engine, run: Execution, op: NexusOperationState, operationToken: string, wake = true): void {
  engine.clock.clear(timerKey(run, op, 'request'));
  engine.clock.clear(timerKey(run, op, 'start-timeout'));
  const now = engine.now();
  Object.assign(op, { phase: 'started', operationToken, startedTime: now, lastFailure: undefined, retryAt: undefined, lastAttemptCompleteTime: now });
  addExternal(engine, run, EventType.EVENT_TYPE_NEXUS_OPERATION_STARTED, 'nexusOperationStartedEventAttributes', {
    scheduledEventId: op.scheduledEventId,
    operationToken,
    operationId: operationToken,
    requestId: op.requestId,
  });
  engine.touch(run);
  if (!wake) return;
  scheduleWft(engine, run);
  armTimeout(engine, run, op);
}

function endUnsuccessfully(engine: Engine, run: Execution, op: NexusOperationState, canceled: boolean, cause: Failure): void {
  if (!canceled) {
    fail(engine, run, op, cause);
    return;
  }
  // As the real server: a canceled operation's cause is a canceled failure.
  const canceledCause: Failure = cause.canceledFailureInfo
    ? cause
    : { message: cause.message ?? '', stackTrace: cause.stackTrace ?? '', canceledFailureInfo: {}, cause: cause.cause ?? undefined };
  end(engine, run, op, EventType.EVENT_TYPE_NEXUS_OPERATION_CANCELED, 'nexusOperationCanceledEventAttributes', {
    scheduledEventId: op.scheduledEventId,
    failure: operationFailure(op, canceledCause),
    requestId: op.requestId,
  });
}

/**
 * A handler's workflow closed (for good: not continuing as new or retrying): its completion
 * callbacks end the caller's operation, with the real server's outcome for each kind of close.
 * A completion that arrives before the start's answer first records the operation as started.
 */
export function deliverCompletions(engine: Engine, handler: Execution, closeEvent: HistoryEvent): void {
  for (const callback of handler.state.completionCallbacks ?? []) {
    const header = Object.fromEntries(Object.entries(callback.header).map(([k, v]) => [k.toLowerCase(), v]));
    let ref: { r: string; w: string; n: string; e: number; q: string };
    try {
      ref = JSON.parse(Buffer.from(header[CALLBACK_TOKEN_HEADER] ?? '', 'base64url').toString('utf8')) as typeof ref;
    } catch {
      continue;
    }
    // The caller's run, or (reset since) its workflow's current run.
    const caller = engine.runs.get(ref.r) ?? engine.currentRun(ref.n, ref.w);
    const op = caller?.open ? caller.state.nexusOps?.[ref.e] : undefined;
    if (!caller || !op || op.requestId !== ref.q) continue;
    if (op.phase !== 'started') markStarted(engine, caller, op, '', false);
    const a = closeEvent;
    if (a.workflowExecutionCompletedEventAttributes) {
      end(engine, caller, op, EventType.EVENT_TYPE_NEXUS_OPERATION_COMPLETED, 'nexusOperationCompletedEventAttributes', {
        scheduledEventId: op.scheduledEventId,
        result: a.workflowExecutionCompletedEventAttributes.result?.payloads?.[0] ?? {},
        requestId: op.requestId,
      });
    } else if (a.workflowExecutionFailedEventAttributes) {
      endUnsuccessfully(engine, caller, op, false, a.workflowExecutionFailedEventAttributes.failure ?? { message: 'workflow failed' });
    } else if (a.workflowExecutionCanceledEventAttributes) {
      endUnsuccessfully(engine, caller, op, true, { message: 'operation canceled', canceledFailureInfo: {} });
    } else if (a.workflowExecutionTerminatedEventAttributes) {
      endUnsuccessfully(engine, caller, op, false, { message: 'operation terminated', terminatedFailureInfo: {} });
    } else if (a.workflowExecutionTimedOutEventAttributes) {
      endUnsuccessfully(engine, caller, op, false, { message: 'operation exceeded internal timeout', timeoutFailureInfo: {} });
    }
  }
}

/** The caller's workflow closed: its operations stop (their tasks turn stale, their timers stop). */
export function dropNexusOperations(engine: Engine, run: Execution): void {
  for (const op of Object.values(run.state.nexusOps ?? {})) clearTimers(engine, run, op);
  if (run.state.nexusOps) run.state.nexusOps = {};
}

/** After a restart: requests out again, backoffs and timeouts re-armed. */
export function rearmNexusOperations(engine: Engine, run: Execution): void {
  for (const op of Object.values(run.state.nexusOps ?? {})) {
    armTimeout(engine, run, op);
    if (op.phase === 'scheduled') dispatch(engine, run, op, false);
    else if (op.phase === 'backoff') armBackoff(engine, run, op);
    if (op.cancel?.phase === 'sent') dispatch(engine, run, op, true);
    else if (op.cancel?.phase === 'backoff') armCancelBackoff(engine, run, op);
  }
}
