import type { Engine } from '../engine';
import { notFound } from '../grpc/errors';
import { enums, type Command, type Failure, type Payloads, type PollActReq, type PollActRes } from '../proto';
import { durationMs, msDuration, msTimestamp } from '../time';
import { encodeToken } from '../tokens';
import { addEvent, addExternal, type Attrs } from './events';
import { decideRetry, normalizeRetry, retryToProto } from './retry';
import { ACTIVITY, RUN, type ActivityOutcome, type ActivityState, type EventOf, type Execution, type RunState } from './state';
import { scheduleWft } from './schedule-workflow-task';

const EventType = enums.EventType;
const RetryState = enums.RetryState;
const TimeoutType = enums.TimeoutType;

type ScheduleAttributes = NonNullable<Command['scheduleActivityTaskCommandAttributes']>;

const phaseKey = (run: Execution, act: ActivityState): string => `act/${run.runId}/${act.scheduledEventId}`;
const closeKey = (run: Execution, act: ActivityState): string => `act/${run.runId}/${act.scheduledEventId}/s2c`;

/** Fills in the activity timeouts the way the real server does; an error message if impossible. */
export function normalizeActivityTimeouts(
  attributes: ScheduleAttributes,
  runTimeoutMs: number,
): { scheduleToCloseMs: number; scheduleToStartMs: number; startToCloseMs: number; heartbeatMs: number } | string {
  let scheduleToClose = durationMs(attributes.scheduleToCloseTimeout);
  let scheduleToStart = durationMs(attributes.scheduleToStartTimeout);
  let startToClose = durationMs(attributes.startToCloseTimeout);
  let heartbeat = durationMs(attributes.heartbeatTimeout);
  if ([scheduleToClose, scheduleToStart, startToClose, heartbeat].some((timeout) => timeout < 0)) return 'Activity timeouts must not be negative.';
  if (scheduleToClose > 0) {
    if (runTimeoutMs > 0) scheduleToClose = Math.min(scheduleToClose, runTimeoutMs);
    scheduleToStart = scheduleToStart > 0 ? Math.min(scheduleToStart, scheduleToClose) : scheduleToClose;
    startToClose = startToClose > 0 ? Math.min(startToClose, scheduleToClose) : scheduleToClose;
  } else if (startToClose > 0) {
    // Without a schedule-to-close timeout the activity may retry as long as the run lives.
    scheduleToClose = runTimeoutMs;
    if (scheduleToClose > 0) scheduleToStart = scheduleToStart > 0 ? Math.min(scheduleToStart, scheduleToClose) : scheduleToClose;
  } else {
    return 'A valid StartToClose or ScheduleToCloseTimeout is not set on ScheduleActivityTaskCommand.';
  }
  if (heartbeat > 0 && startToClose > 0) heartbeat = Math.min(heartbeat, startToClose);
  return { scheduleToCloseMs: scheduleToClose, scheduleToStartMs: scheduleToStart, startToCloseMs: startToClose, heartbeatMs: heartbeat };
}

export function scheduleActivity(engine: Engine, run: Execution, attributes: ScheduleAttributes, wftCompletedId: number, userMetadata?: Command['userMetadata']): ActivityState {
  const state = run.state;
  const timeouts = normalizeActivityTimeouts(attributes, state.runTimeoutMs);
  if (typeof timeouts === 'string') throw new Error(timeouts); // validateCommands rejects this earlier
  const retry = normalizeRetry(attributes.retryPolicy);
  const taskQueue = attributes.taskQueue?.name || state.taskQueue;
  const scheduled = addEvent(engine, run, EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED, 'activityTaskScheduledEventAttributes', {
    activityId: attributes.activityId ?? '',
    activityType: attributes.activityType ?? undefined,
    taskQueue: { name: taskQueue, kind: enums.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
    header: attributes.header ?? undefined,
    input: attributes.input ?? undefined,
    scheduleToCloseTimeout: msDuration(timeouts.scheduleToCloseMs),
    scheduleToStartTimeout: msDuration(timeouts.scheduleToStartMs),
    startToCloseTimeout: msDuration(timeouts.startToCloseMs),
    heartbeatTimeout: msDuration(timeouts.heartbeatMs),
    workflowTaskCompletedEventId: wftCompletedId,
    retryPolicy: retryToProto(retry),
    useWorkflowBuildId: attributes.useWorkflowBuildId ?? undefined,
    priority: attributes.priority ?? undefined,
  });
  if (userMetadata) scheduled.userMetadata = userMetadata;
  const now = engine.now();
  const act: ActivityState = {
    scheduledEventId: Number(scheduled.eventId),
    activityId: attributes.activityId ?? '',
    activityType: attributes.activityType?.name ?? '',
    taskQueue,
    attempt: 1,
    phase: ACTIVITY.next('none', 'schedule'),
    scheduledTime: now,
    attemptScheduledTime: now,
    ...timeouts,
    retry,
  };
  state.activities[act.scheduledEventId] = act;
  engine.touch(run);
  rearmActivity(engine, run, act);
  return act;
}

/** Arms an activity's timers for its current phase and queues it if it waits for a worker. */
export function rearmActivity(engine: Engine, run: Execution, act: ActivityState): void {
  if (act.scheduleToCloseMs > 0) {
    engine.clock.set(closeKey(run, act), act.scheduledTime + act.scheduleToCloseMs, () => engine.tx(() => scheduleToCloseTimedOut(engine, run, act.scheduledEventId)));
  }
  armPhase(engine, run, act);
  if (act.phase === 'scheduled') {
    engine.matching.push(run.state.namespace, act.taskQueue, 'activity', {
      kind: 'activity',
      runId: run.runId,
      scheduledEventId: act.scheduledEventId,
      attempt: act.attempt,
    });
  }
}

function armPhase(engine: Engine, run: Execution, act: ActivityState): void {
  const key = phaseKey(run, act);
  let due = 0;
  if (act.phase === 'scheduled' && act.scheduleToStartMs > 0) due = act.attemptScheduledTime + act.scheduleToStartMs;
  if (act.phase === 'started') {
    const startToCloseDue = act.startToCloseMs > 0 ? (act.startedTime ?? 0) + act.startToCloseMs : Infinity;
    const heartbeatDue = act.heartbeatMs > 0 ? (act.lastHeartbeatTime ?? act.startedTime ?? 0) + act.heartbeatMs : Infinity;
    due = Math.min(startToCloseDue, heartbeatDue);
    if (due === Infinity) due = 0;
  }
  if (act.phase === 'backoff') due = act.retryAt ?? engine.now();
  if (!due) {
    engine.clock.clear(key);
    return;
  }
  const { scheduledEventId, attempt } = act;
  engine.clock.set(key, due, () => engine.tx(() => phaseTimerFired(engine, run, scheduledEventId, attempt)));
}

function phaseTimerFired(engine: Engine, run: Execution, scheduledEventId: number, attempt: number): void {
  const act = run.state.activities[scheduledEventId];
  if (!run.open || !act || act.attempt !== attempt || act.phase === 'paused') return;
  const now = engine.now();
  if (act.phase === 'backoff') {
    act.phase = ACTIVITY.next(act.phase, 'retryDue');
    act.attemptScheduledTime = now;
    act.retryAt = undefined;
    engine.touch(run);
    rearmActivity(engine, run, act);
    return;
  }
  if (act.phase === 'scheduled') {
    finish(engine, run, act, EventType.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT, 'activityTaskTimedOutEventAttributes', {
      failure: timeoutFailure(TimeoutType.TIMEOUT_TYPE_SCHEDULE_TO_START, act.heartbeatDetails, act.lastFailure),
      retryState: RetryState.RETRY_STATE_TIMEOUT,
    });
    return;
  }
  const heartbeatDue = act.heartbeatMs > 0 ? (act.lastHeartbeatTime ?? act.startedTime ?? 0) + act.heartbeatMs : Infinity;
  const startToCloseDue = act.startToCloseMs > 0 ? (act.startedTime ?? 0) + act.startToCloseMs : Infinity;
  if (now < Math.min(heartbeatDue, startToCloseDue)) {
    armPhase(engine, run, act);
    return;
  }
  attemptTimedOut(engine, run, act, heartbeatDue <= startToCloseDue ? TimeoutType.TIMEOUT_TYPE_HEARTBEAT : TimeoutType.TIMEOUT_TYPE_START_TO_CLOSE);
}

function attemptTimedOut(engine: Engine, run: Execution, act: ActivityState, type: number): void {
  const failure = timeoutFailure(type, type === TimeoutType.TIMEOUT_TYPE_HEARTBEAT ? act.heartbeatDetails : undefined);
  const decision = act.cancelRequestedEventId
    ? ({ retry: false, state: RetryState.RETRY_STATE_CANCEL_REQUESTED } as const)
    : decideRetry(act.retry, act.attempt, failure, engine.now(), closeDeadline(act));
  if (decision.retry) {
    retryLater(engine, run, act, failure, decision.delayMs);
    return;
  }
  finish(engine, run, act, EventType.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT, 'activityTaskTimedOutEventAttributes', {
    failure: timeoutFailure(type, act.heartbeatDetails, act.lastFailure),
    retryState: decision.state,
  });
}

function scheduleToCloseTimedOut(engine: Engine, run: Execution, scheduledEventId: number): void {
  const act = run.state.activities[scheduledEventId];
  if (!run.open || !act) return;
  finish(engine, run, act, EventType.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT, 'activityTaskTimedOutEventAttributes', {
    failure: timeoutFailure(TimeoutType.TIMEOUT_TYPE_SCHEDULE_TO_CLOSE, act.heartbeatDetails, act.lastFailure),
    retryState: RetryState.RETRY_STATE_TIMEOUT,
  });
}

const closeDeadline = (act: ActivityState): number => (act.scheduleToCloseMs > 0 ? act.scheduledTime + act.scheduleToCloseMs : 0);

function timeoutFailure(type: number, details?: Payloads, cause?: Failure): Failure {
  const name = ['', 'StartToClose', 'ScheduleToStart', 'ScheduleToClose', 'Heartbeat'][type] ?? '';
  return {
    message: `activity ${name} timeout`,
    source: 'Server',
    timeoutFailureInfo: { timeoutType: type, lastHeartbeatDetails: details ?? undefined },
    cause: cause ?? undefined,
  };
}

/**
 * The next attempt of an activity whose attempt failed or timed out and may be retried: after
 * the policy's delay; at once as attempt 1 after a reset; not before it is unpaused if paused
 * (the failed attempt still counts, as the real server does).
 */
function retryLater(engine: Engine, run: Execution, act: ActivityState, failure: Failure, delayMs: number): void {
  const now = engine.now();
  act.lastFailure = failure;
  act.lastAttemptCompleteTime = now;
  act.startedTime = undefined;
  if (act.resetPending) {
    act.resetPending = false;
    act.attempt = 1;
    delayMs = 0;
    if (act.resetHeartbeat) act.heartbeatDetails = undefined;
    act.resetHeartbeat = false;
  } else {
    act.attempt++;
  }
  if (act.paused) {
    act.phase = ACTIVITY.next(act.phase, 'absorb');
    engine.touch(run);
    armPhase(engine, run, act);
    return;
  }
  act.phase = ACTIVITY.next(act.phase, 'retry');
  act.retryAt = now + delayMs;
  engine.touch(run);
  engine.log.debug('activity attempt failed; retrying', {
    workflowId: run.state.workflowId,
    activityId: act.activityId,
    nextAttempt: act.attempt,
    delayMs,
  });
  armPhase(engine, run, act);
}

/** The ACTIVITY event each way an activity ends, by the attributes of its result event. */
const END_EVENTS = {
  activityTaskCompletedEventAttributes: 'complete',
  activityTaskFailedEventAttributes: 'fail',
  activityTaskTimedOutEventAttributes: 'timeOut',
  activityTaskCanceledEventAttributes: 'cancel',
} as const;

/**
 * Writes the activity's end: ActivityTaskStarted (late, with the final attempt, as the real
 * server does) when an attempt was running, then the result event; wakes the workflow.
 */
function finish<K extends keyof typeof END_EVENTS>(engine: Engine, run: Execution, act: ActivityState, type: number, key: K, attrs: Attrs<K>): void {
  ACTIVITY.next(act.phase, END_EVENTS[key]);
  let startedEventId = 0;
  let startedRef = false;
  if (act.phase === 'started') {
    const started = addExternal(engine, run, EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED, 'activityTaskStartedEventAttributes', {
      scheduledEventId: act.scheduledEventId,
      identity: act.identity ?? '',
      requestId: act.requestId ?? '',
      attempt: act.attempt,
      lastFailure: act.lastFailure ?? undefined,
    });
    startedEventId = Number(started.eventId);
    startedRef = true;
  }
  addExternal(engine, run, type, key, { ...attrs, scheduledEventId: act.scheduledEventId, startedEventId }, startedRef);
  removeActivity(engine, run, act);
  if (run.state.kind === 'activity') closeStandalone(engine, run, act, END_EVENTS[key], standaloneOutcome(run, attrs));
  else scheduleWft(engine, run);
}

/** A standalone activity's outcome from its result event's attributes: a cancellation becomes a CanceledFailure. */
function standaloneOutcome(
  run: Execution,
  attrs: { result?: Payloads | null; failure?: Failure | null; retryState?: number | null; details?: Payloads | null; latestCancelRequestedEventId?: number | null },
): ActivityOutcome {
  if (attrs.latestCancelRequestedEventId !== undefined) return { failure: { ...canceledFailure(run.state), canceledFailureInfo: { details: attrs.details ?? undefined } } };
  return { result: attrs.result ?? undefined, failure: attrs.failure ?? undefined, retryState: attrs.retryState ?? undefined };
}

/**
 * A standalone activity ended (it completed, failed, timed out, was cancelled or terminated):
 * its host run closes with the matching status, keeping the outcome and the activity's last
 * state for describe and result.
 */
export function closeStandalone(engine: Engine, run: Execution, act: ActivityState, event: EventOf<typeof RUN>, outcome: ActivityOutcome): void {
  const state = run.state;
  state.finalActivity = { ...act };
  state.outcome = event === 'complete' ? { result: outcome.result } : { failure: outcome.failure, retryState: outcome.retryState };
  state.status = RUN.next(state.status, event);
  state.closeTime = engine.now();
  engine.closed(run);
  engine.touch(run);
  engine.log.info('activity closed', { namespace: state.namespace, activityId: state.workflowId, runId: run.runId, activityType: state.workflowType, status: event });
}

function removeActivity(engine: Engine, run: Execution, act: ActivityState): void {
  delete run.state.activities[act.scheduledEventId];
  engine.clock.clear(phaseKey(run, act));
  engine.clock.clear(closeKey(run, act));
  engine.touch(run);
}

/** Clears every activity timer of a run that closed; queued tasks turn stale by themselves. */
export function dropActivities(engine: Engine, run: Execution): void {
  for (const key in run.state.activities) {
    const act = run.state.activities[key];
    engine.clock.clear(phaseKey(run, act));
    engine.clock.clear(closeKey(run, act));
  }
  run.state.activities = {};
}

/** Hands a queued activity attempt to a poller. */
export function startActivity(engine: Engine, run: Execution, scheduledEventId: number, attempt: number, poll: PollActReq): PollActRes | null {
  const act = run.state.activities[scheduledEventId];
  if (!run.open || !act || act.attempt !== attempt || act.phase !== 'scheduled') return null;
  const now = engine.now();
  act.phase = ACTIVITY.next(act.phase, 'start');
  act.startedTime = now;
  act.lastHeartbeatTime = undefined;
  act.identity = poll.identity ?? '';
  act.requestId = `${run.runId}/${scheduledEventId}/${attempt}`;
  engine.touch(run);
  armPhase(engine, run, act);
  const scheduled = run.event(scheduledEventId)?.activityTaskScheduledEventAttributes;
  const state = run.state;
  // A standalone activity belongs to no workflow: it names its own run instead.
  const standalone = state.kind === 'activity';
  return {
    taskToken: encodeToken({ k: 'a', r: run.runId, e: scheduledEventId, a: attempt }),
    workflowNamespace: state.namespace,
    workflowType: standalone ? undefined : { name: state.workflowType },
    workflowExecution: standalone ? undefined : { workflowId: state.workflowId, runId: state.runId },
    activityRunId: standalone ? run.runId : undefined,
    activityType: { name: act.activityType },
    activityId: act.activityId,
    header: scheduled?.header ?? undefined,
    input: scheduled?.input ?? undefined,
    heartbeatDetails: act.heartbeatDetails ?? undefined,
    scheduledTime: msTimestamp(act.scheduledTime),
    currentAttemptScheduledTime: msTimestamp(act.attemptScheduledTime),
    startedTime: msTimestamp(now),
    attempt,
    scheduleToCloseTimeout: msDuration(act.scheduleToCloseMs),
    startToCloseTimeout: msDuration(act.startToCloseMs),
    heartbeatTimeout: msDuration(act.heartbeatMs),
    retryPolicy: retryToProto(act.retry),
    priority: scheduled?.priority ?? undefined,
  };
}

/** The running attempt a worker's token (or an activity id) refers to. */
export function runningActivity(engine: Engine, runId: string, scheduledEventId: number, attempt: number | undefined): { run: Execution; act: ActivityState } {
  const run = engine.runs.get(runId);
  const act = run?.open ? run.state.activities[scheduledEventId] : undefined;
  if (!run || !act || act.phase !== 'started' || (attempt !== undefined && act.attempt !== attempt)) {
    throw notFound('Activity task not found.');
  }
  return { run, act };
}

/** The running attempt of an activity named by id: in a workflow, or (no workflow id) a standalone one. */
export function activityById(engine: Engine, namespace: string, workflowId: string, runId: string | null | undefined, activityId: string): { run: Execution; act: ActivityState } {
  const run = workflowId ? engine.findRun(namespace, { workflowId, runId: runId || undefined }) : standaloneRun(engine, namespace, activityId, runId);
  for (const key in run.state.activities) {
    const act = run.state.activities[key];
    if (act.activityId === activityId) return runningActivity(engine, run.runId, act.scheduledEventId, undefined);
  }
  throw notFound('Activity task not found.');
}

/** A standalone activity by its id (and run id when given); NOT_FOUND otherwise. */
export function standaloneRun(engine: Engine, namespace: string, activityId: string, runId: string | null | undefined): Execution {
  const run = runId ? engine.runs.get(runId) : engine.currentActivityRun(namespace, activityId);
  if (!run || run.state.kind !== 'activity' || run.state.namespace !== namespace || (activityId && run.state.workflowId !== activityId)) {
    throw notFound(`activity not found for ID: ${activityId}`);
  }
  return run;
}

export function heartbeat(
  engine: Engine,
  run: Execution,
  act: ActivityState,
  details: Payloads | null | undefined,
): { cancelRequested: boolean; activityPaused: boolean; activityReset: boolean } {
  if (details) act.heartbeatDetails = details;
  act.lastHeartbeatTime = engine.now();
  engine.touch(run);
  armPhase(engine, run, act);
  // A paused or reset activity's worker learns it here (the SDK cancels it with those details).
  return { cancelRequested: !!act.cancelRequestedEventId, activityPaused: !!act.paused, activityReset: !!act.resetPending };
}

export function completeActivity(engine: Engine, run: Execution, act: ActivityState, result: Payloads | null | undefined, identity: string): void {
  finish(engine, run, act, EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED, 'activityTaskCompletedEventAttributes', {
    result: result ?? undefined,
    identity,
  });
}

export function failActivity(
  engine: Engine,
  run: Execution,
  act: ActivityState,
  failure: Failure | null | undefined,
  identity: string,
  lastHeartbeatDetails?: Payloads | null,
): void {
  if (lastHeartbeatDetails) act.heartbeatDetails = lastHeartbeatDetails;
  const reported: Failure = failure ?? { message: 'activity failed' };
  const decision = act.cancelRequestedEventId
    ? ({ retry: false, state: RetryState.RETRY_STATE_CANCEL_REQUESTED } as const)
    : decideRetry(act.retry, act.attempt, reported, engine.now(), closeDeadline(act));
  if (decision.retry) {
    act.identity = identity;
    retryLater(engine, run, act, reported, decision.delayMs);
    return;
  }
  finish(engine, run, act, EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED, 'activityTaskFailedEventAttributes', {
    failure: reported,
    retryState: decision.state,
    identity,
  });
}

export function activityCanceled(engine: Engine, run: Execution, act: ActivityState, details: Payloads | null | undefined, identity: string): void {
  finish(engine, run, act, EventType.EVENT_TYPE_ACTIVITY_TASK_CANCELED, 'activityTaskCanceledEventAttributes', {
    details: details ?? undefined,
    latestCancelRequestedEventId: act.cancelRequestedEventId ?? 0,
    identity,
  });
}

/** The RequestCancelActivityTask command: an attempt not running on a worker is cancelled at once. */
export function requestCancelActivity(engine: Engine, run: Execution, scheduledEventId: number, wftCompletedId: number): void {
  const act = run.state.activities[scheduledEventId];
  if (!act) {
    // It ended while the cancelling task ran: the request is recorded all the same, as the real
    // server records it, and its buffered end is written after it.
    if (bufferedActivityEnd(run, scheduledEventId)) {
      addEvent(engine, run, EventType.EVENT_TYPE_ACTIVITY_TASK_CANCEL_REQUESTED, 'activityTaskCancelRequestedEventAttributes', {
        scheduledEventId,
        workflowTaskCompletedEventId: wftCompletedId,
      });
    }
    return;
  }
  const requested = addEvent(engine, run, EventType.EVENT_TYPE_ACTIVITY_TASK_CANCEL_REQUESTED, 'activityTaskCancelRequestedEventAttributes', {
    scheduledEventId,
    workflowTaskCompletedEventId: wftCompletedId,
  });
  act.cancelRequestedEventId = Number(requested.eventId);
  engine.touch(run);
  if (ACTIVITY.next(act.phase, 'requestCancel') === 'none') {
    addEvent(engine, run, EventType.EVENT_TYPE_ACTIVITY_TASK_CANCELED, 'activityTaskCanceledEventAttributes', {
      scheduledEventId,
      startedEventId: 0,
      latestCancelRequestedEventId: act.cancelRequestedEventId,
    });
    removeActivity(engine, run, act);
    if (run.state.kind === 'activity') closeStandalone(engine, run, act, 'cancel', { failure: canceledFailure(run.state) });
    else run.state.needsWft = true;
  }
}

/** True when the activity's end (completed, failed, timed out, cancelled) waits in the buffer for the running workflow task to finish. */
export function bufferedActivityEnd(run: Execution, scheduledEventId: number): boolean {
  return run.state.buffered.some(({ event }) => {
    const end =
      event.activityTaskCompletedEventAttributes ??
      event.activityTaskFailedEventAttributes ??
      event.activityTaskTimedOutEventAttributes ??
      event.activityTaskCanceledEventAttributes;
    return end ? Number(end.scheduledEventId) === scheduledEventId : false;
  });
}

/** What a standalone activity cancelled before a worker took it ends with. */
export function canceledFailure(state: RunState): Failure {
  return { message: state.cancelReason || 'Activity canceled', source: 'Server', canceledFailureInfo: {} };
}
