import { randomUUID } from 'node:crypto';
import type { Engine } from '../engine';
import { alreadyStarted, invalidArgument } from '../grpc/errors';
import { enums, type Failure, type Header, type Payload, type Payloads, type RetryPolicy, type HistoryEvent, type Priority, type UserMetadata } from '../proto';
import { msDuration, msTimestamp } from '../time';
import { dropActivities } from './activity';
import { addEvent, addExternal, type AttrKey, type Attrs } from './events';
import { decideRetry, normalizeRetry } from './retry';
import { Execution, type ParentRef, type RunState } from './state';
import { abandonWft, scheduleWft } from './workflow-task';

const E = enums.EventType;
const S = enums.WorkflowExecutionStatus;
const REUSE = enums.WorkflowIdReusePolicy;
const CONFLICT = enums.WorkflowIdConflictPolicy;

const MAX_TASK_TIMEOUT_MS = 120_000;

export interface StartParams {
  namespace: string;
  workflowId: string;
  workflowType: string;
  taskQueue: string;
  input?: Payloads | null;
  header?: Header | null;
  memo?: Record<string, Payload> | null;
  searchAttributes?: Record<string, Payload> | null;
  executionTimeoutMs: number;
  runTimeoutMs: number;
  taskTimeoutMs: number;
  retryPolicy?: RetryPolicy | null;
  identity: string;
  requestId: string;
  runId?: string;
  parent?: ParentRef;
  root?: { workflowId: string; runId: string };
  firstRunId?: string;
  attempt?: number;
  executionDeadline?: number;
  startDelayMs?: number;
  continued?: { runId: string; initiator: number; failure?: Failure | null; lastCompletionResult?: Payloads | null };
  signal?: { name: string; input?: Payloads | null; header?: Header | null; identity: string };
  userMetadata?: UserMetadata | null;
  priority?: Priority | null;
}

/** Creates a run: WorkflowExecutionStarted, then (unless delayed) its first workflow task. */
export function createRun(engine: Engine, p: StartParams): Execution {
  const now = engine.now();
  const runId = p.runId ?? randomUUID();
  const executionTimeoutMs = p.executionTimeoutMs;
  let runTimeoutMs = p.runTimeoutMs || executionTimeoutMs;
  if (executionTimeoutMs > 0) runTimeoutMs = Math.min(runTimeoutMs, executionTimeoutMs);
  let taskTimeoutMs = Math.min(p.taskTimeoutMs || 10_000, MAX_TASK_TIMEOUT_MS);
  if (runTimeoutMs > 0) taskTimeoutMs = Math.min(taskTimeoutMs, runTimeoutMs);
  const delay = p.startDelayMs ?? 0;
  const executionDeadline = p.executionDeadline ?? (executionTimeoutMs > 0 ? now + delay + executionTimeoutMs : 0);
  const state: RunState = {
    namespace: p.namespace,
    workflowId: p.workflowId,
    runId,
    workflowType: p.workflowType,
    taskQueue: p.taskQueue,
    status: S.WORKFLOW_EXECUTION_STATUS_RUNNING,
    startTime: now,
    executionTime: now + delay,
    requestId: p.requestId,
    firstRunId: p.firstRunId ?? runId,
    parent: p.parent,
    root: p.root,
    memo: { ...(p.memo ?? {}) },
    searchAttributes: { ...(p.searchAttributes ?? {}) },
    executionTimeoutMs,
    runTimeoutMs,
    taskTimeoutMs,
    executionDeadline,
    runDeadline: runTimeoutMs > 0 ? now + delay + runTimeoutMs : 0,
    retryPolicy: p.retryPolicy ?? undefined,
    attempt: p.attempt ?? 1,
    firstWftAt: delay > 0 ? now + delay : 0,
    nextEventId: 1,
    lastCompletedStartedId: 0,
    wft: null,
    wftAttempt: 1,
    wftSeq: 0,
    needsWft: false,
    buffered: [],
    sticky: null,
    activities: {},
    timers: {},
    children: {},
    cancelRequested: false,
    historySizeBytes: 0,
    updates: {},
  };
  const run = new Execution(state, []);
  engine.addRun(run);
  const started = addEvent(engine, run, E.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED, 'workflowExecutionStartedEventAttributes', {
    workflowType: { name: p.workflowType },
    parentWorkflowNamespace: p.parent?.namespace,
    parentWorkflowExecution: p.parent ? { workflowId: p.parent.workflowId, runId: p.parent.runId } : undefined,
    parentInitiatedEventId: p.parent?.initiatedEventId,
    taskQueue: { name: p.taskQueue, kind: enums.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
    input: p.input ?? undefined,
    workflowExecutionTimeout: msDuration(executionTimeoutMs),
    workflowRunTimeout: msDuration(runTimeoutMs),
    workflowTaskTimeout: msDuration(taskTimeoutMs),
    continuedExecutionRunId: p.continued?.runId,
    initiator: p.continued?.initiator,
    continuedFailure: p.continued?.failure ?? undefined,
    lastCompletionResult: p.continued?.lastCompletionResult ?? undefined,
    originalExecutionRunId: runId,
    identity: p.identity,
    firstExecutionRunId: state.firstRunId,
    retryPolicy: p.retryPolicy ?? undefined,
    attempt: state.attempt,
    workflowExecutionExpirationTime: executionDeadline ? msTimestamp(executionDeadline) : undefined,
    firstWorkflowTaskBackoff: delay > 0 ? msDuration(delay) : undefined,
    memo: { fields: state.memo },
    searchAttributes: { indexedFields: state.searchAttributes },
    header: p.header ?? undefined,
    workflowId: p.workflowId,
    rootWorkflowExecution: p.root ?? { workflowId: p.workflowId, runId },
    priority: p.priority ?? undefined,
  });
  if (p.userMetadata) started.userMetadata = p.userMetadata;
  if (p.signal) {
    addEvent(engine, run, E.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED, 'workflowExecutionSignaledEventAttributes', {
      signalName: p.signal.name,
      input: p.signal.input ?? undefined,
      identity: p.signal.identity,
      header: p.signal.header ?? undefined,
    });
  }
  rearmRun(engine, run);
  scheduleWft(engine, run);
  engine.log.info('workflow started', {
    namespace: p.namespace,
    workflowId: p.workflowId,
    runId,
    workflowType: p.workflowType,
    taskQueue: p.taskQueue,
    attempt: state.attempt,
  });
  return run;
}

const runTimerKey = (run: Execution): string => `run/${run.runId}`;
const backoffKey = (run: Execution): string => `backoff/${run.runId}`;
const userTimerKey = (run: Execution, timerId: string): string => `timer/${run.runId}/${timerId}`;

/** Arms a run's own timers: run/execution timeout, delayed first task, user timers. */
export function rearmRun(engine: Engine, run: Execution): void {
  const s = run.state;
  const deadlines = [s.runDeadline, s.executionDeadline].filter((d) => d > 0);
  if (deadlines.length) engine.clock.set(runTimerKey(run), Math.min(...deadlines), () => engine.tx(() => runTimedOut(engine, run)));
  if (s.firstWftAt > 0 && !s.wft && s.lastCompletedStartedId === 0) {
    engine.clock.set(backoffKey(run), s.firstWftAt, () =>
      engine.tx(() => {
        run.state.firstWftAt = 0;
        engine.touch(run);
        scheduleWft(engine, run);
      }),
    );
  }
  for (const id in s.timers) armUserTimer(engine, run, id);
}

export function armUserTimer(engine: Engine, run: Execution, timerId: string): void {
  const t = run.state.timers[timerId];
  if (!t) return;
  const startedEventId = t.startedEventId;
  engine.clock.set(userTimerKey(run, timerId), t.due, () =>
    engine.tx(() => {
      const cur = run.state.timers[timerId];
      if (!run.open || !cur || cur.startedEventId !== startedEventId) return;
      delete run.state.timers[timerId];
      addExternal(engine, run, E.EVENT_TYPE_TIMER_FIRED, 'timerFiredEventAttributes', { timerId, startedEventId });
      scheduleWft(engine, run);
    }),
  );
}

export function clearUserTimer(engine: Engine, run: Execution, timerId: string): void {
  engine.clock.clear(userTimerKey(run, timerId));
}

type CloseKey =
  | 'workflowExecutionCompletedEventAttributes'
  | 'workflowExecutionFailedEventAttributes'
  | 'workflowExecutionTimedOutEventAttributes'
  | 'workflowExecutionCanceledEventAttributes'
  | 'workflowExecutionTerminatedEventAttributes'
  | 'workflowExecutionContinuedAsNewEventAttributes';

const STATUS_NAMES: Record<number, string> = {
  [S.WORKFLOW_EXECUTION_STATUS_COMPLETED]: 'workflow completed',
  [S.WORKFLOW_EXECUTION_STATUS_FAILED]: 'workflow failed',
  [S.WORKFLOW_EXECUTION_STATUS_CANCELED]: 'workflow cancelled',
  [S.WORKFLOW_EXECUTION_STATUS_TERMINATED]: 'workflow terminated',
  [S.WORKFLOW_EXECUTION_STATUS_TIMED_OUT]: 'workflow timed out',
  [S.WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW]: 'workflow continued as new',
};

/** Writes the close event, stops the run's timers, applies parent-close policies and tells the parent. */
export function closeRun<K extends CloseKey & AttrKey>(engine: Engine, run: Execution, status: number, type: number, key: K, attrs: Attrs<K>): HistoryEvent {
  const s = run.state;
  const ev = addEvent(engine, run, type, key, attrs);
  s.status = status;
  s.closeTime = engine.now();
  s.wft = null;
  s.buffered = [];
  engine.clock.clear(`wft/${run.runId}`);
  engine.clock.clear(runTimerKey(run));
  engine.clock.clear(backoffKey(run));
  for (const id in s.timers) clearUserTimer(engine, run, id);
  s.timers = {};
  dropActivities(engine, run);
  engine.closed(run);
  engine.touch(run);
  engine.log.info(STATUS_NAMES[status] ?? 'workflow closed', {
    namespace: s.namespace,
    workflowId: s.workflowId,
    runId: s.runId,
    workflowType: s.workflowType,
    historyLength: run.events.length,
  });
  engine.queries.wftCompleted(run);
  applyParentClosePolicy(engine, run);
  // A run that goes on as a new run (continue-as-new, a workflow retry) is not the child's end.
  const continued = !!(attrs as { newExecutionRunId?: string | null }).newExecutionRunId;
  if (!continued) notifyParent(engine, run, ev);
  return ev;
}

function applyParentClosePolicy(engine: Engine, run: Execution): void {
  const P = enums.ParentClosePolicy;
  for (const key in run.state.children) {
    const child = run.state.children[key];
    const target = engine.currentRun(child.namespace, child.workflowId);
    if (!target || !target.open || target.state.parent?.runId !== run.runId) continue;
    if (child.parentClosePolicy === P.PARENT_CLOSE_POLICY_ABANDON) continue;
    if (child.parentClosePolicy === P.PARENT_CLOSE_POLICY_REQUEST_CANCEL) {
      requestCancelRun(engine, target, 'by parent close policy', 'history-service');
    } else {
      terminateRun(engine, target, 'by parent close policy', undefined, 'history-service');
    }
  }
  run.state.children = {};
}

function notifyParent(engine: Engine, child: Execution, closeEvent: HistoryEvent): void {
  const ref = child.state.parent;
  if (!ref) return;
  const parent = engine.runs.get(ref.runId);
  if (!parent || !parent.open) return;
  const entry = parent.state.children[ref.initiatedEventId];
  if (!entry) return;
  delete parent.state.children[ref.initiatedEventId];
  const startedEventId =
    entry.startedEventId ||
    Number(parent.events.find((e) => Number(e.childWorkflowExecutionStartedEventAttributes?.initiatedEventId) === ref.initiatedEventId)?.eventId ?? 0);
  const common = {
    namespace: child.state.namespace,
    workflowExecution: { workflowId: child.state.workflowId, runId: child.runId },
    workflowType: { name: child.state.workflowType },
    initiatedEventId: ref.initiatedEventId,
    startedEventId,
  };
  const c = closeEvent;
  if (c.workflowExecutionCompletedEventAttributes) {
    addExternal(engine, parent, E.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED, 'childWorkflowExecutionCompletedEventAttributes', {
      ...common,
      result: c.workflowExecutionCompletedEventAttributes.result ?? undefined,
    });
  } else if (c.workflowExecutionFailedEventAttributes) {
    addExternal(engine, parent, E.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_FAILED, 'childWorkflowExecutionFailedEventAttributes', {
      ...common,
      failure: c.workflowExecutionFailedEventAttributes.failure ?? undefined,
      retryState: c.workflowExecutionFailedEventAttributes.retryState ?? 0,
    });
  } else if (c.workflowExecutionCanceledEventAttributes) {
    addExternal(engine, parent, E.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_CANCELED, 'childWorkflowExecutionCanceledEventAttributes', {
      ...common,
      details: c.workflowExecutionCanceledEventAttributes.details ?? undefined,
    });
  } else if (c.workflowExecutionTimedOutEventAttributes) {
    addExternal(engine, parent, E.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TIMED_OUT, 'childWorkflowExecutionTimedOutEventAttributes', {
      ...common,
      retryState: c.workflowExecutionTimedOutEventAttributes.retryState ?? 0,
    });
  } else {
    addExternal(engine, parent, E.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TERMINATED, 'childWorkflowExecutionTerminatedEventAttributes', common);
  }
  scheduleWft(engine, parent);
}

export function signalRun(engine: Engine, run: Execution, name: string, input: Payloads | null | undefined, header: Header | null | undefined, identity: string): void {
  addExternal(engine, run, E.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED, 'workflowExecutionSignaledEventAttributes', {
    signalName: name,
    input: input ?? undefined,
    identity,
    header: header ?? undefined,
  });
  scheduleWft(engine, run);
}

export function requestCancelRun(
  engine: Engine,
  run: Execution,
  reason: string,
  identity: string,
  external?: { initiatedEventId: number; workflowId: string; runId: string },
): void {
  if (run.state.cancelRequested) return;
  run.state.cancelRequested = true;
  addExternal(engine, run, E.EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED, 'workflowExecutionCancelRequestedEventAttributes', {
    cause: reason,
    identity,
    externalInitiatedEventId: external?.initiatedEventId,
    externalWorkflowExecution: external ? { workflowId: external.workflowId, runId: external.runId } : undefined,
  });
  scheduleWft(engine, run);
}

export function terminateRun(engine: Engine, run: Execution, reason: string, details: Payloads | null | undefined, identity: string): void {
  abandonWft(engine, run);
  closeRun(engine, run, S.WORKFLOW_EXECUTION_STATUS_TERMINATED, E.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED, 'workflowExecutionTerminatedEventAttributes', {
    reason,
    details: details ?? undefined,
    identity,
  });
}

/** Parameters for a new run that continues `run` (continue-as-new, retry). */
function continuation(run: Execution): Pick<StartParams, 'namespace' | 'workflowId' | 'parent' | 'root' | 'firstRunId' | 'executionDeadline' | 'executionTimeoutMs' | 'identity'> {
  const s = run.state;
  return {
    namespace: s.namespace,
    workflowId: s.workflowId,
    parent: s.parent,
    root: s.root,
    firstRunId: s.firstRunId,
    executionDeadline: s.executionDeadline,
    executionTimeoutMs: s.executionTimeoutMs,
    identity: 'history-service',
  };
}

/** Whether a failed (or timed-out) run is retried under its workflow retry policy. */
function workflowRetry(engine: Engine, run: Execution, failure: Failure | undefined): { delayMs: number } | { state: number } {
  if (!run.state.retryPolicy) return { state: enums.RetryState.RETRY_STATE_RETRY_POLICY_NOT_SET };
  const d = decideRetry(normalizeRetry(run.state.retryPolicy), run.state.attempt, failure, engine.now(), run.state.executionDeadline);
  return d.retry ? { delayMs: d.delayMs } : { state: d.state };
}

function startRetry(engine: Engine, run: Execution, newRunId: string, delayMs: number, failure: Failure | undefined): void {
  const s = run.state;
  const started = run.events[0]?.workflowExecutionStartedEventAttributes;
  createRun(engine, {
    ...continuation(run),
    runId: newRunId,
    workflowType: s.workflowType,
    taskQueue: s.taskQueue,
    input: started?.input,
    header: started?.header,
    memo: s.memo,
    searchAttributes: s.searchAttributes,
    runTimeoutMs: s.runTimeoutMs,
    taskTimeoutMs: s.taskTimeoutMs,
    retryPolicy: s.retryPolicy,
    requestId: randomUUID(),
    attempt: s.attempt + 1,
    startDelayMs: delayMs,
    continued: { runId: s.runId, initiator: enums.ContinueAsNewInitiator.CONTINUE_AS_NEW_INITIATOR_RETRY, failure },
  });
}

export function failRun(engine: Engine, run: Execution, failure: Failure | undefined, wftCompletedId: number): void {
  const retry = workflowRetry(engine, run, failure);
  const newRunId = 'delayMs' in retry ? randomUUID() : undefined;
  closeRun(engine, run, S.WORKFLOW_EXECUTION_STATUS_FAILED, E.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED, 'workflowExecutionFailedEventAttributes', {
    failure,
    retryState: 'delayMs' in retry ? enums.RetryState.RETRY_STATE_IN_PROGRESS : retry.state,
    workflowTaskCompletedEventId: wftCompletedId,
    newExecutionRunId: newRunId,
  });
  if (newRunId && 'delayMs' in retry) startRetry(engine, run, newRunId, retry.delayMs, failure);
}

function runTimedOut(engine: Engine, run: Execution): void {
  if (!run.open) return;
  const s = run.state;
  const now = engine.now();
  const executionOver = s.executionDeadline > 0 && now >= s.executionDeadline;
  abandonWft(engine, run);
  const failure: Failure = { message: 'workflow timed out', timeoutFailureInfo: { timeoutType: enums.TimeoutType.TIMEOUT_TYPE_START_TO_CLOSE } };
  const retry = executionOver ? { state: enums.RetryState.RETRY_STATE_TIMEOUT } : workflowRetry(engine, run, failure);
  const newRunId = 'delayMs' in retry ? randomUUID() : undefined;
  closeRun(engine, run, S.WORKFLOW_EXECUTION_STATUS_TIMED_OUT, E.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT, 'workflowExecutionTimedOutEventAttributes', {
    retryState: 'delayMs' in retry ? enums.RetryState.RETRY_STATE_IN_PROGRESS : retry.state === enums.RetryState.RETRY_STATE_RETRY_POLICY_NOT_SET ? enums.RetryState.RETRY_STATE_TIMEOUT : retry.state,
    newExecutionRunId: newRunId,
  });
  if (newRunId && 'delayMs' in retry) startRetry(engine, run, newRunId, retry.delayMs, failure);
}

type CanAttrs = NonNullable<import('../proto').Command['continueAsNewWorkflowExecutionCommandAttributes']>;

export function continueAsNew(engine: Engine, run: Execution, a: CanAttrs, wftCompletedId: number): void {
  const s = run.state;
  const newRunId = randomUUID();
  const runTimeoutMs = durationOr(a.workflowRunTimeout, s.runTimeoutMs);
  const taskTimeoutMs = durationOr(a.workflowTaskTimeout, s.taskTimeoutMs);
  const taskQueue = a.taskQueue?.name || s.taskQueue;
  const workflowType = a.workflowType?.name || s.workflowType;
  const memo = a.memo?.fields && Object.keys(a.memo.fields).length ? a.memo.fields : s.memo;
  const searchAttributes = a.searchAttributes?.indexedFields && Object.keys(a.searchAttributes.indexedFields).length ? a.searchAttributes.indexedFields : s.searchAttributes;
  const backoff = a.backoffStartInterval ? Number(a.backoffStartInterval.seconds ?? 0) * 1000 + Math.floor(Number(a.backoffStartInterval.nanos ?? 0) / 1e6) : 0;
  closeRun(engine, run, S.WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW, E.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW, 'workflowExecutionContinuedAsNewEventAttributes', {
    newExecutionRunId: newRunId,
    workflowType: { name: workflowType },
    taskQueue: { name: taskQueue, kind: enums.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
    input: a.input ?? undefined,
    workflowRunTimeout: msDuration(runTimeoutMs),
    workflowTaskTimeout: msDuration(taskTimeoutMs),
    workflowTaskCompletedEventId: wftCompletedId,
    backoffStartInterval: a.backoffStartInterval ?? undefined,
    initiator: a.initiator || enums.ContinueAsNewInitiator.CONTINUE_AS_NEW_INITIATOR_WORKFLOW,
    failure: a.failure ?? undefined,
    lastCompletionResult: a.lastCompletionResult ?? undefined,
    header: a.header ?? undefined,
    memo: { fields: memo },
    searchAttributes: { indexedFields: searchAttributes },
  });
  createRun(engine, {
    ...continuation(run),
    runId: newRunId,
    workflowType,
    taskQueue,
    input: a.input,
    header: a.header,
    memo,
    searchAttributes,
    runTimeoutMs,
    taskTimeoutMs,
    retryPolicy: a.retryPolicy ?? s.retryPolicy,
    requestId: randomUUID(),
    startDelayMs: backoff,
    continued: {
      runId: s.runId,
      initiator: a.initiator || enums.ContinueAsNewInitiator.CONTINUE_AS_NEW_INITIATOR_WORKFLOW,
      failure: a.failure,
      lastCompletionResult: a.lastCompletionResult,
    },
  });
}

function durationOr(d: { seconds?: number | null; nanos?: number | null } | null | undefined, fallback: number): number {
  if (!d) return fallback;
  const ms = Number(d.seconds ?? 0) * 1000 + Math.floor(Number(d.nanos ?? 0) / 1e6);
  return ms > 0 ? ms : fallback;
}

export interface IdPolicies {
  reuse: number;
  conflict: number;
}

/**
 * Applies workflow-id reuse and conflict policies for a start. Returns the run to answer with
 * when no new run must be created (same request id retried, or USE_EXISTING), else undefined.
 * TERMINATE_EXISTING terminates the running run first.
 */
export function resolveIdConflict(engine: Engine, namespace: string, workflowId: string, requestId: string, policies: IdPolicies): { run: Execution; started: boolean } | undefined {
  let { reuse, conflict } = policies;
  if (reuse === REUSE.WORKFLOW_ID_REUSE_POLICY_TERMINATE_IF_RUNNING) {
    if (conflict) throw invalidArgument('Invalid WorkflowIDReusePolicy: WORKFLOW_ID_REUSE_POLICY_TERMINATE_IF_RUNNING cannot be used together with a WorkflowIDConflictPolicy.');
    reuse = REUSE.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE;
    conflict = CONFLICT.WORKFLOW_ID_CONFLICT_POLICY_TERMINATE_EXISTING;
  }
  if (reuse === REUSE.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE && conflict === CONFLICT.WORKFLOW_ID_CONFLICT_POLICY_TERMINATE_EXISTING) {
    throw invalidArgument('Invalid WorkflowIDReusePolicy: WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE cannot be used together with a WorkflowIdConflictPolicy WORKFLOW_ID_CONFLICT_POLICY_TERMINATE_EXISTING.');
  }
  if (requestId) {
    const same = engine.runsOf(namespace, workflowId).find((r) => r.state.requestId === requestId);
    if (same) return { run: same, started: true };
  }
  const cur = engine.currentRun(namespace, workflowId);
  if (!cur) return undefined;
  if (cur.open) {
    if (conflict === CONFLICT.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING) return { run: cur, started: false };
    if (conflict === CONFLICT.WORKFLOW_ID_CONFLICT_POLICY_TERMINATE_EXISTING) {
      terminateRun(engine, cur, 'terminated by a new start of the same workflow id', undefined, 'history-service');
      return undefined;
    }
    throw alreadyStarted(`Workflow execution is already running. WorkflowId: ${workflowId}, RunId: ${cur.runId}.`, cur.state.requestId, cur.runId);
  }
  if (reuse === REUSE.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE) {
    throw alreadyStarted(
      `Workflow execution already finished. WorkflowId: ${workflowId}, RunId: ${cur.runId}. Workflow Id reuse policy: reject duplicate workflow Id.`,
      cur.state.requestId,
      cur.runId,
    );
  }
  if (reuse === REUSE.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE_FAILED_ONLY && cur.state.status === S.WORKFLOW_EXECUTION_STATUS_COMPLETED) {
    throw alreadyStarted(
      `Workflow execution already finished successfully. WorkflowId: ${workflowId}, RunId: ${cur.runId}. Workflow Id reuse policy: allow duplicate workflow Id if last run failed.`,
      cur.state.requestId,
      cur.runId,
    );
  }
  return undefined;
}
