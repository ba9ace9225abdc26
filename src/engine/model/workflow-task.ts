import type { Engine } from '../engine';
import { alreadyCompleted, invalidArgument, notFound } from '../grpc/errors';
import { enums, type HistoryEvent, type PollWftReq, type PollWftRes, type WftCompletedReq, type WftFailedReq } from '../proto';
import { durationMs, msDuration, msTimestamp } from '../time';
import { encodeToken } from '../tokens';
import { applyCommands, validateCommands } from './commands';
import { hasUnseenUpdates, updateMessages, validateMessages } from './updates';
import { addEvent, append, flushBuffered, makeEvent } from './events';
import { dispatchWft, endTask, scheduleWft, wftTimerKey } from './schedule-workflow-task';
import { WORKFLOW_TASK, type EventOf, type Execution, type WftState } from './state';

const E = enums.EventType;
const CAUSE = enums.WorkflowTaskFailedCause;
const NORMAL = enums.TaskQueueKind.TASK_QUEUE_KIND_NORMAL;

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

/** Hands a scheduled workflow task to a poller: writes WorkflowTaskStarted and builds the response. */
export function startWft(engine: Engine, run: Execution, seq: number, poll: PollWftReq): PollWftRes | null {
  const s = run.state;
  const wft = s.wft;
  if (!run.open || !wft || wft.seq !== seq || wft.phase !== 'scheduled') return null;
  const now = engine.now();
  const identity = poll.identity ?? '';
  const requestId = `${run.runId}/${wft.seq}`;
  if (wft.transient) {
    const scheduled = makeEvent(engine, E.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED, 'workflowTaskScheduledEventAttributes', {
      taskQueue: { name: s.taskQueue, kind: NORMAL },
      startToCloseTimeout: msDuration(s.taskTimeoutMs),
      attempt: wft.attempt,
    });
    scheduled.eventId = s.nextEventId;
    scheduled.eventTime = msTimestamp(wft.scheduledTime);
    const started = makeEvent(engine, E.EVENT_TYPE_WORKFLOW_TASK_STARTED, 'workflowTaskStartedEventAttributes', {
      scheduledEventId: s.nextEventId,
      identity,
      requestId,
      historySizeBytes: s.historySizeBytes,
    });
    started.eventId = s.nextEventId + 1;
    wft.transientEvents = [scheduled, started];
    wft.scheduledEventId = s.nextEventId;
    wft.startedEventId = s.nextEventId + 1;
  } else {
    const started = addEvent(engine, run, E.EVENT_TYPE_WORKFLOW_TASK_STARTED, 'workflowTaskStartedEventAttributes', {
      scheduledEventId: wft.scheduledEventId,
      identity,
      requestId,
      historySizeBytes: s.historySizeBytes,
    });
    wft.startedEventId = Number(started.eventId);
  }
  wft.phase = WORKFLOW_TASK.next(wft.phase, 'start');
  wft.startedTime = now;
  wft.identity = identity;
  engine.touch(run);
  armStartToClose(engine, run, wft, now + s.taskTimeoutMs);
  // A sticky poller has the run cached: it gets only what happened since its last task.
  const incremental = !!s.sticky && poll.taskQueue?.name === s.sticky.queue && s.lastCompletedStartedId > 0;
  const events: HistoryEvent[] = incremental ? run.events.slice(s.lastCompletedStartedId) : run.events.slice();
  if (wft.transientEvents) events.push(...wft.transientEvents);
  return {
    taskToken: encodeToken({ k: 'w', r: run.runId, s: wft.seq }),
    workflowExecution: { workflowId: s.workflowId, runId: s.runId },
    workflowType: { name: s.workflowType },
    previousStartedEventId: s.lastCompletedStartedId,
    startedEventId: wft.startedEventId,
    attempt: wft.attempt,
    backlogCountHint: 0,
    history: { events },
    workflowExecutionTaskQueue: { name: s.taskQueue, kind: NORMAL },
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

export function completeWft(engine: Engine, runId: string, seq: number, req: WftCompletedReq): void {
  const { run, wft } = findStartedWft(engine, runId, seq);
  const s = run.state;
  const commands = req.commands ?? [];
  const messages = req.messages ?? [];
  const badMessage = validateMessages(commands, messages);
  const invalid = validateCommands(engine, run, commands) ?? (badMessage ? { cause: CAUSE.WORKFLOW_TASK_FAILED_CAUSE_BAD_UPDATE_WORKFLOW_EXECUTION_MESSAGE, message: badMessage } : undefined);
  // A signal (or other event, or an update) that arrived while the task ran must be seen before the workflow closes.
  const closing = commands.some((c) => isCloseCommand(c.commandType ?? 0));
  const unhandledEvents = closing && s.buffered.length > 0;
  const unhandledUpdates = closing && hasUnseenUpdates(run, wft.seq);
  if (invalid || unhandledEvents || unhandledUpdates) {
    materialize(engine, run, wft);
    const cause = invalid ? invalid.cause : unhandledEvents ? CAUSE.WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_COMMAND : CAUSE.WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_UPDATE;
    const message = invalid ? invalid.message : unhandledEvents ? 'Workflow task completed with unhandled new events.' : 'Workflow task completed with unhandled updates.';
    addEvent(engine, run, E.EVENT_TYPE_WORKFLOW_TASK_FAILED, 'workflowTaskFailedEventAttributes', {
      scheduledEventId: wft.scheduledEventId,
      startedEventId: wft.startedEventId,
      cause,
      failure: { message, source: 'Server', serverFailureInfo: {} },
      identity: req.identity ?? '',
    });
    endTask(engine, run, 'fail');
    s.sticky = null;
    if (invalid) s.wftAttempt++;
    flushBuffered(engine, run);
    scheduleWft(engine, run);
    // The real server's answer; the worker evicts the run and replays it with the new events.
    throw invalidArgument(invalid ? message : 'UnhandledCommand');
  }
  materialize(engine, run, wft);
  const completed = addEvent(engine, run, E.EVENT_TYPE_WORKFLOW_TASK_COMPLETED, 'workflowTaskCompletedEventAttributes', {
    scheduledEventId: wft.scheduledEventId,
    startedEventId: wft.startedEventId,
    identity: req.identity ?? '',
    binaryChecksum: req.binaryChecksum ?? '',
    sdkMetadata: req.sdkMetadata ?? undefined,
    meteringMetadata: req.meteringMetadata ?? undefined,
    workerVersion: req.workerVersionStamp ?? undefined,
    deployment: req.deployment ?? undefined,
    versioningBehavior: req.versioningBehavior ?? undefined,
  });
  endTask(engine, run, 'complete');
  s.lastCompletedStartedId = wft.startedEventId;
  s.wftAttempt = 1;
  const sticky = req.stickyAttributes?.workerTaskQueue?.name;
  s.sticky = sticky ? { queue: sticky, timeoutMs: durationMs(req.stickyAttributes?.scheduleToStartTimeout) || 10_000 } : null;
  const after: (() => void)[] = [];
  applyCommands(engine, run, commands, messages, Number(completed.eventId), req.identity ?? '', after);
  if (run.open) {
    const arrived = flushBuffered(engine, run);
    if (arrived || s.needsWft || req.forceCreateNewWorkflowTask) scheduleWft(engine, run);
  }
  for (const fn of after) fn();
  engine.queries.wftCompleted(run);
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
    addEvent(engine, run, E.EVENT_TYPE_WORKFLOW_TASK_FAILED, 'workflowTaskFailedEventAttributes', {
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

function retryAfterFailure(engine: Engine, run: Execution, event: EventOf<typeof WORKFLOW_TASK>): void {
  endTask(engine, run, event);
  run.state.sticky = null;
  run.state.wftAttempt++;
  flushBuffered(engine, run);
  scheduleWft(engine, run);
}

function startToCloseTimedOut(engine: Engine, run: Execution, seq: number): void {
  const wft = run.state.wft;
  if (!run.open || !wft || wft.seq !== seq || wft.phase !== 'started') return;
  engine.log.warn('workflow task timed out', { workflowId: run.state.workflowId, runId: run.runId, attempt: wft.attempt });
  if (!wft.transient) {
    addEvent(engine, run, E.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT, 'workflowTaskTimedOutEventAttributes', {
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
    const s = run.state;
    if (s.namespace !== namespace || s.sticky?.queue !== queue) continue;
    s.sticky = null;
    engine.touch(run);
    if (s.wft?.phase === 'scheduled' && s.wft.sticky) {
      s.wft.sticky = false;
      s.wft.queue = s.taskQueue;
      dispatchWft(engine, run);
    }
  }
}

export function isCloseCommand(type: number): boolean {
  const C = enums.CommandType;
  return (
    type === C.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION ||
    type === C.COMMAND_TYPE_FAIL_WORKFLOW_EXECUTION ||
    type === C.COMMAND_TYPE_CANCEL_WORKFLOW_EXECUTION ||
    type === C.COMMAND_TYPE_CONTINUE_AS_NEW_WORKFLOW_EXECUTION
  );
}
