import { randomUUID } from 'node:crypto';
import type { Engine } from '../engine';
import { enums, type Command, type Failure, type HistoryEvent, type Payloads } from '../proto';
import { cronBackoffMs } from '../schedule/spec';
import { durationMs, msDuration, optionalDuration } from '../time';
import { dropActivities } from './activity';
import { addEvent, addExternal, flushBuffered, type AttrKey, type Attrs } from './events';
import { requestCancelRun } from './requests';
import { decideRetry, normalizeRetry } from './retry';
import { clearRunTimers } from './run-timers';
import type { StartParams } from './start';
import { RUN, type EventOf, type Execution } from './state';
import { endTask, scheduleWft } from './schedule-workflow-task';
import { abortUpdates } from './updates';
import { deliverCompletions, dropNexusOperations } from './nexus';

/**
 * How a run ends. A close that lets the workflow carry on (a retry, a continue-as-new) returns
 * the new run's parameters instead of creating it: start.ts creates it, and since start.ts arms
 * the run timeout that ends in `runTimedOut`, creating runs here would be an import cycle.
 */

const EventType = enums.EventType;
const Status = enums.WorkflowExecutionStatus;

type CloseKey =
  | 'workflowExecutionCompletedEventAttributes'
  | 'workflowExecutionFailedEventAttributes'
  | 'workflowExecutionTimedOutEventAttributes'
  | 'workflowExecutionCanceledEventAttributes'
  | 'workflowExecutionTerminatedEventAttributes'
  | 'workflowExecutionContinuedAsNewEventAttributes';

const STATUS_NAMES: Record<number, string> = {
  [Status.WORKFLOW_EXECUTION_STATUS_COMPLETED]: 'workflow completed',
  [Status.WORKFLOW_EXECUTION_STATUS_FAILED]: 'workflow failed',
  [Status.WORKFLOW_EXECUTION_STATUS_CANCELED]: 'workflow cancelled',
  [Status.WORKFLOW_EXECUTION_STATUS_TERMINATED]: 'workflow terminated',
  [Status.WORKFLOW_EXECUTION_STATUS_TIMED_OUT]: 'workflow timed out',
  [Status.WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW]: 'workflow continued as new',
};

/** Writes the close event, stops the run's timers, applies parent-close policies and tells the parent. */
export function closeRun<K extends CloseKey & AttrKey>(engine: Engine, run: Execution, event: EventOf<typeof RUN>, type: number, key: K, attrs: Attrs<K>): HistoryEvent {
  const state = run.state;
  const closeEvent = addEvent(engine, run, type, key, attrs);
  state.status = RUN.next(state.status, event);
  state.closeTime = engine.now();
  state.wft = null;
  state.buffered = [];
  clearRunTimers(engine, run);
  state.timers = {};
  dropActivities(engine, run);
  abortUpdates(engine, run);
  engine.closed(run);
  engine.touch(run);
  engine.log.info(STATUS_NAMES[state.status] ?? 'workflow closed', {
    namespace: state.namespace,
    workflowId: state.workflowId,
    runId: state.runId,
    workflowType: state.workflowType,
    historyLength: run.events.length,
  });
  engine.queries.wftCompleted(run);
  applyParentClosePolicy(engine, run);
  // A run that goes on as a new run (continue-as-new, a workflow retry) is not the child's end.
  const continued = !!(attrs as { newExecutionRunId?: string | null }).newExecutionRunId;
  if (!continued) notifyParent(engine, run, closeEvent);
  dropNexusOperations(engine, run);
  // A Nexus handler's workflow ends its caller's operation when its chain of runs ends.
  if (!continued) deliverCompletions(engine, run, closeEvent);
  return closeEvent;
}

function applyParentClosePolicy(engine: Engine, run: Execution): void {
  for (const key in run.state.children) {
    const child = run.state.children[key];
    const target = engine.currentRun(child.namespace, child.workflowId);
    if (!target || !target.open || target.state.parent?.runId !== run.runId) continue;
    if (child.parentClosePolicy === enums.ParentClosePolicy.PARENT_CLOSE_POLICY_ABANDON) continue;
    if (child.parentClosePolicy === enums.ParentClosePolicy.PARENT_CLOSE_POLICY_REQUEST_CANCEL) {
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
    Number(parent.events.find((event) => Number(event.childWorkflowExecutionStartedEventAttributes?.initiatedEventId) === ref.initiatedEventId)?.eventId ?? 0);
  const common = {
    namespace: child.state.namespace,
    workflowExecution: { workflowId: child.state.workflowId, runId: child.runId },
    workflowType: { name: child.state.workflowType },
    initiatedEventId: ref.initiatedEventId,
    startedEventId,
  };
  if (closeEvent.workflowExecutionCompletedEventAttributes) {
    addExternal(engine, parent, EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED, 'childWorkflowExecutionCompletedEventAttributes', {
      ...common,
      result: closeEvent.workflowExecutionCompletedEventAttributes.result ?? undefined,
    });
  } else if (closeEvent.workflowExecutionFailedEventAttributes) {
    addExternal(engine, parent, EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_FAILED, 'childWorkflowExecutionFailedEventAttributes', {
      ...common,
      failure: closeEvent.workflowExecutionFailedEventAttributes.failure ?? undefined,
      retryState: closeEvent.workflowExecutionFailedEventAttributes.retryState ?? 0,
    });
  } else if (closeEvent.workflowExecutionCanceledEventAttributes) {
    addExternal(engine, parent, EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_CANCELED, 'childWorkflowExecutionCanceledEventAttributes', {
      ...common,
      details: closeEvent.workflowExecutionCanceledEventAttributes.details ?? undefined,
    });
  } else if (closeEvent.workflowExecutionTimedOutEventAttributes) {
    addExternal(engine, parent, EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TIMED_OUT, 'childWorkflowExecutionTimedOutEventAttributes', {
      ...common,
      retryState: closeEvent.workflowExecutionTimedOutEventAttributes.retryState ?? 0,
    });
  } else {
    addExternal(engine, parent, EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TERMINATED, 'childWorkflowExecutionTerminatedEventAttributes', common);
  }
  scheduleWft(engine, parent);
}

/** The CompleteWorkflowExecution command; a cron workflow's next run follows at its next time. */
export function completeRun(engine: Engine, run: Execution, result: Payloads | undefined, wftCompletedId: number): StartParams | undefined {
  const newRunId = run.state.cronSchedule ? randomUUID() : undefined;
  closeRun(engine, run, 'complete', EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED, 'workflowExecutionCompletedEventAttributes', {
    result,
    workflowTaskCompletedEventId: wftCompletedId,
    newExecutionRunId: newRunId,
  });
  return newRunId ? cronRun(engine, run, newRunId, { lastCompletionResult: result }) : undefined;
}

/**
 * The next run of a cron workflow (its schedule's next time after now), as the real server
 * starts it: the same workflow again, continued with the CRON_SCHEDULE initiator, carrying the
 * last completion result (a failed run passes on the one it was given) and the failure.
 */
function cronRun(engine: Engine, run: Execution, newRunId: string, outcome: { lastCompletionResult?: Payloads | null; failure?: Failure }): StartParams {
  const state = run.state;
  const started = run.events[0]?.workflowExecutionStartedEventAttributes;
  return {
    ...sameWorkflowAgain(run, newRunId),
    startDelayMs: cronBackoffMs(state.cronSchedule ?? '', engine.now()),
    continued: {
      runId: state.runId,
      initiator: enums.ContinueAsNewInitiator.CONTINUE_AS_NEW_INITIATOR_CRON_SCHEDULE,
      failure: outcome.failure,
      lastCompletionResult: outcome.lastCompletionResult ?? (outcome.failure ? started?.lastCompletionResult : undefined),
    },
  };
}

/** The CancelWorkflowExecution command: the workflow accepts a cancel request. */
export function cancelRun(engine: Engine, run: Execution, details: Payloads | undefined, wftCompletedId: number): void {
  closeRun(engine, run, 'cancel', EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED, 'workflowExecutionCanceledEventAttributes', {
    details,
    workflowTaskCompletedEventId: wftCompletedId,
  });
}

/** Before a forced close (terminate, timeout): a running task fails, its buffered events are written. */
function abandonWft(engine: Engine, run: Execution): void {
  const wft = run.state.wft;
  if (wft?.phase === 'started' && !wft.transient) {
    addEvent(engine, run, EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED, 'workflowTaskFailedEventAttributes', {
      scheduledEventId: wft.scheduledEventId,
      startedEventId: wft.startedEventId,
      cause: enums.WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_FORCE_CLOSE_COMMAND,
      identity: 'history-service',
    });
  }
  if (wft) endTask(engine, run, 'forceClose');
  flushBuffered(engine, run);
}

export function terminateRun(engine: Engine, run: Execution, reason: string, details: Payloads | null | undefined, identity: string): void {
  abandonWft(engine, run);
  closeRun(engine, run, 'terminate', EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED, 'workflowExecutionTerminatedEventAttributes', {
    reason,
    details: details ?? undefined,
    identity,
  });
}

/** Parameters for a new run that continues `run` (continue-as-new, retry). */
function continuation(
  run: Execution,
): Pick<
  StartParams,
  | 'namespace'
  | 'workflowId'
  | 'parent'
  | 'root'
  | 'firstRunId'
  | 'executionDeadline'
  | 'executionTimeoutMs'
  | 'identity'
  | 'versioningOverride'
  | 'pinnedFrom'
  | 'completionCallbacks'
> {
  const state = run.state;
  return {
    // Worker versioning carries on: the override, and a pinned version the new run's queue is in.
    versioningOverride: state.versioningOverride,
    pinnedFrom: run,
    // A Nexus operation's callbacks go with the chain to its last run.
    completionCallbacks: state.completionCallbacks,
    namespace: state.namespace,
    workflowId: state.workflowId,
    parent: state.parent,
    root: state.root,
    firstRunId: state.firstRunId,
    executionDeadline: state.executionDeadline,
    executionTimeoutMs: state.executionTimeoutMs,
    identity: 'history-service',
  };
}

/** Whether a failed (or timed-out) run is retried under its workflow retry policy. */
function workflowRetry(engine: Engine, run: Execution, failure: Failure | undefined): { delayMs: number } | { state: number } {
  if (!run.state.retryPolicy) return { state: enums.RetryState.RETRY_STATE_RETRY_POLICY_NOT_SET };
  const decision = decideRetry(normalizeRetry(run.state.retryPolicy), run.state.attempt, failure, engine.now(), run.state.executionDeadline);
  return decision.retry ? { delayMs: decision.delayMs } : { state: decision.state };
}

/** What a cron run and a retry share: the same workflow, input and options again, as a new run. */
function sameWorkflowAgain(run: Execution, newRunId: string): StartParams {
  const state = run.state;
  const started = run.events[0]?.workflowExecutionStartedEventAttributes;
  return {
    ...continuation(run),
    runId: newRunId,
    workflowType: state.workflowType,
    taskQueue: state.taskQueue,
    input: started?.input,
    header: started?.header,
    memo: state.memo,
    searchAttributes: state.searchAttributes,
    runTimeoutMs: state.runTimeoutMs,
    taskTimeoutMs: state.taskTimeoutMs,
    retryPolicy: state.retryPolicy,
    cronSchedule: state.cronSchedule,
    requestId: randomUUID(),
  };
}

/** The retry of a failed or timed-out run: the same workflow again, as a new run after `delayMs`. */
function retryRun(run: Execution, newRunId: string, delayMs: number, failure: Failure | undefined): StartParams {
  const state = run.state;
  return {
    ...sameWorkflowAgain(run, newRunId),
    attempt: state.attempt + 1,
    startDelayMs: delayMs,
    continued: { runId: state.runId, initiator: enums.ContinueAsNewInitiator.CONTINUE_AS_NEW_INITIATOR_RETRY, failure },
  };
}

/** Fails the run; returns its retry when the workflow retry policy allows one. */
export function failRun(engine: Engine, run: Execution, failure: Failure | undefined, wftCompletedId: number): StartParams | undefined {
  const retry = workflowRetry(engine, run, failure);
  const cron = !('delayMs' in retry) && !!run.state.cronSchedule;
  const newRunId = 'delayMs' in retry || cron ? randomUUID() : undefined;
  closeRun(engine, run, 'fail', EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED, 'workflowExecutionFailedEventAttributes', {
    failure,
    retryState: 'delayMs' in retry ? enums.RetryState.RETRY_STATE_IN_PROGRESS : retry.state,
    workflowTaskCompletedEventId: wftCompletedId,
    newExecutionRunId: newRunId,
  });
  if (newRunId && cron) return cronRun(engine, run, newRunId, { failure });
  return newRunId && 'delayMs' in retry ? retryRun(run, newRunId, retry.delayMs, failure) : undefined;
}

/** The run (or execution) timeout fired: times the run out; returns its retry when the policy allows one. */
export function runTimedOut(engine: Engine, run: Execution): StartParams | undefined {
  if (!run.open) return undefined;
  const state = run.state;
  const now = engine.now();
  const executionOver = state.executionDeadline > 0 && now >= state.executionDeadline;
  abandonWft(engine, run);
  const failure: Failure = { message: 'workflow timed out', timeoutFailureInfo: { timeoutType: enums.TimeoutType.TIMEOUT_TYPE_START_TO_CLOSE } };
  const retry = executionOver ? { state: enums.RetryState.RETRY_STATE_TIMEOUT } : workflowRetry(engine, run, failure);
  const cron = !('delayMs' in retry) && !executionOver && !!state.cronSchedule;
  const newRunId = 'delayMs' in retry || cron ? randomUUID() : undefined;
  closeRun(engine, run, 'timeOut', EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT, 'workflowExecutionTimedOutEventAttributes', {
    retryState:
      'delayMs' in retry
        ? enums.RetryState.RETRY_STATE_IN_PROGRESS
        : retry.state === enums.RetryState.RETRY_STATE_RETRY_POLICY_NOT_SET
          ? enums.RetryState.RETRY_STATE_TIMEOUT
          : retry.state,
    newExecutionRunId: newRunId,
  });
  if (newRunId && cron) return cronRun(engine, run, newRunId, { failure });
  return newRunId && 'delayMs' in retry ? retryRun(run, newRunId, retry.delayMs, failure) : undefined;
}

type ContinueAsNewAttributes = NonNullable<Command['continueAsNewWorkflowExecutionCommandAttributes']>;

/** Closes the run as continued-as-new; returns the new run that carries on. */
export function continueAsNew(engine: Engine, run: Execution, attributes: ContinueAsNewAttributes, wftCompletedId: number): StartParams {
  const state = run.state;
  const newRunId = randomUUID();
  const runTimeoutMs = durationMs(attributes.workflowRunTimeout) || state.runTimeoutMs;
  const taskTimeoutMs = durationMs(attributes.workflowTaskTimeout) || state.taskTimeoutMs;
  const taskQueue = attributes.taskQueue?.name || state.taskQueue;
  const workflowType = attributes.workflowType?.name || state.workflowType;
  const memo = attributes.memo?.fields && Object.keys(attributes.memo.fields).length ? attributes.memo.fields : state.memo;
  const searchAttributes = engine.typedSearchAttributes(
    state.namespace,
    attributes.searchAttributes?.indexedFields && Object.keys(attributes.searchAttributes.indexedFields).length
      ? attributes.searchAttributes.indexedFields
      : state.searchAttributes,
  );
  const backoff = durationMs(attributes.backoffStartInterval);
  closeRun(engine, run, 'continueAsNew', EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW, 'workflowExecutionContinuedAsNewEventAttributes', {
    newExecutionRunId: newRunId,
    workflowType: { name: workflowType },
    taskQueue: { name: taskQueue, kind: enums.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
    input: attributes.input ?? undefined,
    workflowRunTimeout: optionalDuration(runTimeoutMs),
    workflowTaskTimeout: msDuration(taskTimeoutMs),
    workflowTaskCompletedEventId: wftCompletedId,
    backoffStartInterval: attributes.backoffStartInterval ?? undefined,
    initiator: attributes.initiator || enums.ContinueAsNewInitiator.CONTINUE_AS_NEW_INITIATOR_WORKFLOW,
    failure: attributes.failure ?? undefined,
    lastCompletionResult: attributes.lastCompletionResult ?? undefined,
    header: attributes.header ?? undefined,
    memo: { fields: memo },
    searchAttributes: { indexedFields: searchAttributes },
  });
  return {
    ...continuation(run),
    runId: newRunId,
    workflowType,
    taskQueue,
    input: attributes.input,
    header: attributes.header,
    memo,
    searchAttributes,
    runTimeoutMs,
    taskTimeoutMs,
    retryPolicy: attributes.retryPolicy ?? state.retryPolicy,
    cronSchedule: attributes.cronSchedule || state.cronSchedule,
    requestId: randomUUID(),
    startDelayMs: backoff,
    continued: {
      runId: state.runId,
      initiator: attributes.initiator || enums.ContinueAsNewInitiator.CONTINUE_AS_NEW_INITIATOR_WORKFLOW,
      failure: attributes.failure,
      lastCompletionResult: attributes.lastCompletionResult,
    },
  };
}
