import type { Engine } from '../engine';
import { alreadyCompleted, invalidArgument, notFound } from '../grpc/errors';
import { enums, type HistoryEvent, type PollActRes, type PollWftReq, type PollWftRes, type WftCompletedReq, type WftFailedReq } from '../proto';
import { durationMs, msDuration, msTimestamp } from '../time';
import { encodeToken } from '../tokens';
import { startActivity } from './activity';
import { terminateRun } from './close';
import { applyCommands, validateCommands } from './commands';
import { recordBuildId, recordVersioningAttributes } from './properties';
import { versionKey, versionStringV31 } from '../deployments/deployments';
import { oversized } from './size-limits';
import { hasUnseenUpdates, updateMessages, validateMessages } from './updates';
import { addEvent, append, flushBuffered, makeEvent } from './events';
import { dispatchWft, endTask, scheduleWft, wftTimerKey } from './schedule-workflow-task';
import { WORKFLOW_TASK, type EventOf, type Execution, type WftState } from './state';

const EventType = enums.EventType;
const FailedCause = enums.WorkflowTaskFailedCause;
const NORMAL_QUEUE = enums.TaskQueueKind.TASK_QUEUE_KIND_NORMAL;
const Reason = enums.SuggestContinueAsNewReason;

/** The Worker Deployment Version of a versioned worker's request; undefined for an unversioned worker. */
function versionedWorker(req: WftCompletedReq): { deploymentName: string; buildId: string } | undefined {
  const opts = req.deploymentOptions;
  if (Number(opts?.workerVersioningMode) !== enums.WorkerVersioningMode.WORKER_VERSIONING_MODE_VERSIONED || !opts?.deploymentName || !opts.buildId) return undefined;
  return { deploymentName: opts.deploymentName, buildId: opts.buildId };
}

/** After a restart: requeue a scheduled task, re-arm a started task's timeout. */
export function rearmWft(engine: Engine, run: Execution): void {
  const wft = run.state.wft;
  if (!wft) return;
  if (wft.phase === 'scheduled') dispatchWft(engine, run);
  else armStartToClose(engine, run, wft, (wft.startedTime ?? engine.now()) + run.state.taskTimeoutMs);
}

function armStartToClose(engine: Engine, run: Execution, wft: WftState, due: number): void {
  const seq = wft.seq;
  engine.clock.set(wftTimerKey(run), due, () => engine.tx(() => startToCloseTimedOut(engine, run, seq)));
}

/**
 * What a task's WorkflowTaskStarted tells the workflow about its history (`historySize`,
 * `continueAsNewSuggested`): measured, as the real server does, before the started event itself.
 */
function historySizeInfo(engine: Engine, run: Execution): { historySizeBytes: number; suggestContinueAsNew: boolean; suggestContinueAsNewReasons: number[] } {
  const size = run.state.historySizeBytes;
  const reasons: number[] = [];
  if (size >= engine.config.historySizeSuggestContinueAsNew) reasons.push(Reason.SUGGEST_CONTINUE_AS_NEW_REASON_HISTORY_SIZE_TOO_LARGE);
  if (run.state.nextEventId >= engine.config.historyCountSuggestContinueAsNew) reasons.push(Reason.SUGGEST_CONTINUE_AS_NEW_REASON_TOO_MANY_HISTORY_EVENTS);
  return { historySizeBytes: size, suggestContinueAsNew: reasons.length > 0, suggestContinueAsNewReasons: reasons };
}

/** Hands a scheduled workflow task to a poller: writes WorkflowTaskStarted and builds the response. */
export function startWft(engine: Engine, run: Execution, seq: number, poll: PollWftReq): PollWftRes | null {
  const state = run.state;
  const wft = state.wft;
  if (!run.open || !wft || wft.seq !== seq || wft.phase !== 'scheduled') return null;
  const now = engine.now();
  const identity = poll.identity ?? '';
  const requestId = `${run.runId}/${wft.seq}`;
  if (wft.transient && wft.scheduledEventId !== state.nextEventId) {
    // Events were written after this retry was scheduled: as the real server, it becomes a
    // normal task again (attempt 1), its events written now.
    wft.transient = false;
    wft.attempt = state.wftAttempt = 1;
    wft.scheduledEventId = Number(
      addEvent(engine, run, EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED, 'workflowTaskScheduledEventAttributes', {
        taskQueue: { name: state.taskQueue, kind: NORMAL_QUEUE },
        startToCloseTimeout: msDuration(state.taskTimeoutMs),
        attempt: 1,
      }).eventId,
    );
  }
  if (wft.transient) {
    const scheduled = makeEvent(engine, EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED, 'workflowTaskScheduledEventAttributes', {
      taskQueue: { name: state.taskQueue, kind: NORMAL_QUEUE },
      startToCloseTimeout: msDuration(state.taskTimeoutMs),
      attempt: wft.attempt,
    });
    scheduled.eventId = state.nextEventId;
    scheduled.eventTime = msTimestamp(wft.scheduledTime);
    const started = makeEvent(engine, EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED, 'workflowTaskStartedEventAttributes', {
      scheduledEventId: state.nextEventId,
      identity,
      requestId,
      ...historySizeInfo(engine, run),
    });
    started.eventId = state.nextEventId + 1;
    wft.transientEvents = [scheduled, started];
    wft.scheduledEventId = state.nextEventId;
    wft.startedEventId = state.nextEventId + 1;
  } else {
    const started = addEvent(engine, run, EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED, 'workflowTaskStartedEventAttributes', {
      scheduledEventId: wft.scheduledEventId,
      identity,
      requestId,
      ...historySizeInfo(engine, run),
    });
    wft.startedEventId = Number(started.eventId);
  }
  wft.phase = WORKFLOW_TASK.next(wft.phase, 'start');
  wft.startedTime = now;
  wft.identity = identity;
  engine.touch(run);
  armStartToClose(engine, run, wft, now + state.taskTimeoutMs);
  // A sticky poller has the run cached: it gets only what happened since its last task.
  const incremental = !!state.sticky && poll.taskQueue?.name === state.sticky.queue && state.lastCompletedStartedId > 0;
  const events: HistoryEvent[] = incremental ? run.events.slice(state.lastCompletedStartedId) : run.events.slice();
  if (wft.transientEvents) events.push(...wft.transientEvents);
  return {
    taskToken: encodeToken({ k: 'w', r: run.runId, s: wft.seq }),
    workflowExecution: { workflowId: state.workflowId, runId: state.runId },
    workflowType: { name: state.workflowType },
    previousStartedEventId: state.lastCompletedStartedId,
    startedEventId: wft.startedEventId,
    attempt: wft.attempt,
    backlogCountHint: 0,
    history: { events },
    workflowExecutionTaskQueue: { name: state.taskQueue, kind: NORMAL_QUEUE },
    scheduledTime: msTimestamp(wft.scheduledTime),
    startedTime: msTimestamp(now),
    queries: {},
    messages: updateMessages(run, wft.seq, wft.scheduledEventId),
  };
}

function findStartedWft(engine: Engine, runId: string, seq: number): { run: Execution; wft: WftState } {
  const run = engine.runs.get(runId);
  if (!run) throw notFound('Workflow execution not found.');
  if (!run.open) throw alreadyCompleted();
  const wft = run.state.wft;
  if (!wft || wft.seq !== seq || wft.phase !== 'started') throw notFound('Workflow task not found.');
  return { run, wft };
}

/** Writes the events a transient (retried) task held back, now that it finished. */
function materialize(engine: Engine, run: Execution, wft: WftState): void {
  for (const ev of wft.transientEvents ?? []) append(engine, run, ev);
  wft.transientEvents = undefined;
}

/** How the real server names a failed task's cause in messages: `BAD_SEARCH_ATTRIBUTES` is `BadSearchAttributes`. */
function causeName(cause: number): string {
  const name = (enums.WorkflowTaskFailedCause[cause] ?? '').replace('WORKFLOW_TASK_FAILED_CAUSE_', '');
  return name.toLowerCase().replace(/(^|_)([a-z])/g, (_match, _sep: string, letter: string) => letter.toUpperCase());
}

/** What a completed task's worker gets back: the activities it asked to run at once (eager dispatch). */
export interface WftCompletedRes {
  activityTasks: PollActRes[];
}

export function completeWft(engine: Engine, runId: string, seq: number, req: WftCompletedReq): WftCompletedRes {
  const { run, wft } = findStartedWft(engine, runId, seq);
  const state = run.state;
  const commands = req.commands ?? [];
  const messages = req.messages ?? [];
  const badMessage = validateMessages(commands, messages);
  const invalid =
    validateCommands(engine, run, commands) ??
    (badMessage ? { cause: FailedCause.WORKFLOW_TASK_FAILED_CAUSE_BAD_UPDATE_WORKFLOW_EXECUTION_MESSAGE, message: badMessage } : undefined);
  const tooBig = invalid ? undefined : oversized(engine, run, commands, messages);
  // A signal (or other event, or an update) that arrived while the task ran must be seen before the workflow closes.
  const closing = commands.some((command) => isCloseCommand(command.commandType ?? 0));
  const unhandledEvents = closing && state.buffered.length > 0;
  const unhandledUpdates = closing && hasUnseenUpdates(run, wft.seq);
  const turnedDown =
    invalid ??
    tooBig ??
    (unhandledEvents
      ? { cause: FailedCause.WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_COMMAND }
      : unhandledUpdates
        ? { cause: FailedCause.WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_UPDATE }
        : undefined);
  if (turnedDown) {
    // The real server's message: the cause, then what was wrong, e.g. `BadSearchAttributes: …`.
    const message = 'message' in turnedDown ? `${causeName(turnedDown.cause)}: ${turnedDown.message}` : causeName(turnedDown.cause);
    engine.log.warn('workflow task completion turned down', { workflowId: state.workflowId, runId, attempt: wft.attempt, message });
    // Like a failure the worker reports: written once, then retried without events until one completes.
    if (!wft.transient) {
      addEvent(engine, run, EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED, 'workflowTaskFailedEventAttributes', {
        scheduledEventId: wft.scheduledEventId,
        startedEventId: wft.startedEventId,
        cause: turnedDown.cause,
        failure: { message, serverFailureInfo: { nonRetryable: true } },
        identity: req.identity ?? '',
      });
    }
    if (tooBig) {
      // The same task would produce the same payload again: the real server ends the workflow.
      endTask(engine, run, 'fail');
      terminateRun(engine, run, message, undefined, 'history-service');
    } else {
      retryAfterFailure(engine, run, 'fail');
    }
    // The worker evicts the run and, unless it ended, replays it with the new events.
    throw invalidArgument(message);
  }
  materialize(engine, run, wft);
  const version = versionedWorker(req);
  const completed = addEvent(engine, run, EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED, 'workflowTaskCompletedEventAttributes', {
    scheduledEventId: wft.scheduledEventId,
    startedEventId: wft.startedEventId,
    identity: req.identity ?? '',
    binaryChecksum: req.binaryChecksum ?? '',
    sdkMetadata: req.sdkMetadata ?? undefined,
    meteringMetadata: req.meteringMetadata ?? undefined,
    workerVersion: req.workerVersionStamp ?? undefined,
    deployment: req.deployment ?? undefined,
    versioningBehavior: req.versioningBehavior ?? undefined,
    workerDeploymentName: version?.deploymentName,
    workerDeploymentVersion: version ? versionStringV31(version) : undefined,
    deploymentVersion: version,
  });
  endTask(engine, run, 'complete');
  recordBuildId(run, req.workerVersionStamp);
  // Worker versioning: the worker that completed the task says where the workflow runs next.
  state.versioning = version ? { behavior: Number(req.versioningBehavior ?? 0), version } : undefined;
  recordVersioningAttributes(run);
  state.lastCompletedStartedId = wft.startedEventId;
  state.wftAttempt = 1;
  const sticky = req.stickyAttributes?.workerTaskQueue?.name;
  state.sticky = sticky ? { queue: sticky, timeoutMs: durationMs(req.stickyAttributes?.scheduleToStartTimeout) || 10_000, version: version && versionKey(version) } : null;
  if (historyPastLimits(engine, run)) {
    // As the real server: past the history limits the workflow ends instead of growing further.
    terminateRun(engine, run, 'Workflow history size / count exceeds limit.', undefined, 'history-service');
    engine.queries.wftCompleted(run);
    return { activityTasks: [] };
  }
  const after: (() => void)[] = [];
  const eager = applyCommands(engine, run, commands, messages, Number(completed.eventId), req.identity ?? '', after);
  if (run.open) {
    const arrived = flushBuffered(engine, run);
    if (arrived || state.needsWft || req.forceCreateNewWorkflowTask) scheduleWft(engine, run);
  }
  for (const fn of after) fn();
  engine.queries.wftCompleted(run);
  // Eager dispatch: the activities start now, on the worker that asked (their queued tasks turn stale).
  const activityTasks: PollActRes[] = [];
  for (const scheduledEventId of run.open ? eager : []) {
    const task = startActivity(engine, run, scheduledEventId, 1, { namespace: state.namespace, identity: req.identity });
    if (task) activityTasks.push(task);
  }
  return { activityTasks };
}

/** Whether a run's history is past the error limits; warns once as it passes the warning limits. */
function historyPastLimits(engine: Engine, run: Execution): boolean {
  const { historySizeWarn, historySizeError, historyCountWarn, historyCountError } = engine.config;
  const size = run.state.historySizeBytes;
  const count = run.events.length;
  if (size > historySizeError || count > historyCountError) return true;
  if ((size > historySizeWarn || count > historyCountWarn) && !run.state.historyWarned) {
    run.state.historyWarned = true;
    engine.log.warn('workflow history is large; it is terminated past the limits', {
      workflowId: run.state.workflowId,
      runId: run.runId,
      events: count,
      bytes: size,
      maxEvents: historyCountError,
      maxBytes: historySizeError,
    });
  }
  return false;
}

export function failWft(engine: Engine, runId: string, seq: number, req: WftFailedReq): void {
  const { run, wft } = findStartedWft(engine, runId, seq);
  engine.log.warn('workflow task failed', {
    workflowId: run.state.workflowId,
    runId,
    attempt: wft.attempt,
    cause: enums.WorkflowTaskFailedCause[req.cause ?? 0],
    message: req.failure?.message ?? '',
  });
  if (!wft.transient) {
    addEvent(engine, run, EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED, 'workflowTaskFailedEventAttributes', {
      scheduledEventId: wft.scheduledEventId,
      startedEventId: wft.startedEventId,
      cause: req.cause ?? 0,
      failure: req.failure ?? undefined,
      identity: req.identity ?? '',
      binaryChecksum: req.binaryChecksum ?? '',
    });
  }
  retryAfterFailure(engine, run, 'fail');
}

/**
 * A started task failed, timed out or had its completion turned down; the next one is scheduled.
 * As the real server counts attempts: a task that failed while the run had a sticky queue is
 * retried on the normal queue as attempt 1 again; otherwise the attempt grows, and from attempt
 * 2 on the task's events stay out of history until one completes (a transient task). New events
 * (flushed here) make the next task a normal one again.
 */
function retryAfterFailure(engine: Engine, run: Execution, event: EventOf<typeof WORKFLOW_TASK>): void {
  const state = run.state;
  endTask(engine, run, event);
  if (state.sticky) state.sticky = null;
  else state.wftAttempt++;
  if (flushBuffered(engine, run)) state.wftAttempt = 1;
  scheduleWft(engine, run);
}

function startToCloseTimedOut(engine: Engine, run: Execution, seq: number): void {
  const wft = run.state.wft;
  if (!run.open || !wft || wft.seq !== seq || wft.phase !== 'started') return;
  engine.log.warn('workflow task timed out', { workflowId: run.state.workflowId, runId: run.runId, attempt: wft.attempt });
  if (!wft.transient) {
    addEvent(engine, run, EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT, 'workflowTaskTimedOutEventAttributes', {
      scheduledEventId: wft.scheduledEventId,
      startedEventId: wft.startedEventId,
      timeoutType: enums.TimeoutType.TIMEOUT_TYPE_START_TO_CLOSE,
    });
  }
  retryAfterFailure(engine, run, 'timeOut');
}

/** A worker shut down: its sticky queue is gone, so its runs' tasks go to the normal queue. */
export function stickyQueueGone(engine: Engine, namespace: string, queue: string): void {
  engine.matching.drop(namespace, queue, 'workflow');
  for (const run of engine.openRuns) {
    if (run.visible.namespace !== namespace) continue;
    // A paged-out run has no task: it forgets the queue now and drops it from its state when it is loaded.
    if (run.paged) {
      if (run.paged.stickyQueue === queue) run.paged.stickyQueue = undefined;
      continue;
    }
    const state = run.state;
    if (state.sticky?.queue !== queue) continue;
    state.sticky = null;
    engine.touch(run);
    if (state.wft?.phase === 'scheduled' && state.wft.sticky) {
      state.wft.sticky = false;
      state.wft.queue = state.taskQueue;
      dispatchWft(engine, run);
    }
  }
}

export function isCloseCommand(type: number): boolean {
  return (
    type === enums.CommandType.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION ||
    type === enums.CommandType.COMMAND_TYPE_FAIL_WORKFLOW_EXECUTION ||
    type === enums.CommandType.COMMAND_TYPE_CANCEL_WORKFLOW_EXECUTION ||
    type === enums.CommandType.COMMAND_TYPE_CONTINUE_AS_NEW_WORKFLOW_EXECUTION
  );
}
