import { randomUUID } from 'node:crypto';
import type { Engine } from '../engine';
import { invalidArgument } from '../grpc/errors';
import { enums, type HistoryEvent } from '../proto';
import { durationMs, timestampMs } from '../time';
import { rearmActivity } from './activity';
import { terminateRun } from './close';
import { addEvent, eventSize } from './events';
import { mergeFields } from './properties';
import { normalizeRetry } from './retry';
import { rearmRunTimers } from './run-timers';
import { scheduleWft } from './schedule-workflow-task';
import { armRunTimeout } from './start';
import { ACTIVITY, Execution, newRunProgress, type ActivityState, type RunState } from './state';

/**
 * ResetWorkflowExecution, as the real server does it: a new run of the same workflow whose
 * history is the old run's up to the chosen workflow task's start, that task failed with cause
 * RESET_WORKFLOW, then the signals (and, with ALL_ELIGIBLE, the updates) that came after it
 * reapplied, and a new workflow task. The run's state is rebuilt from the copied events:
 * memo and search attributes, pending activities (dispatched again), timers (at their original
 * times), accepted updates. The workflow id's current run, if open, is terminated.
 */

const EventType = enums.EventType;
const Reapply = enums.ResetReapplyType;
const Exclude = enums.ResetReapplyExcludeType;

export interface ResetRequest {
  reason: string;
  identity: string;
  requestId: string;
  workflowTaskFinishEventId: number;
  reapplyType: number;
  excludeTypes: number[];
}

/** The identity the real server's history service writes into events it makes itself. */
const HISTORY_SERVICE = 'history-service';

/**
 * The real server's reset point: the new run replays the base's events before
 * `workflowTaskFinishEventId`, and a workflow task must be pending after them (scheduled, or
 * started), which the reset then fails. Returns that task's scheduled and started event ids.
 */
function resetPoint(base: Execution, finishEventId: number): { scheduledEventId: number; startedEventId?: number } {
  if (finishEventId <= 1 || finishEventId >= base.state.nextEventId) throw invalidArgument('Workflow task finish ID must be > 1 && <= workflow last event ID.');
  let pending: { scheduledEventId: number; startedEventId?: number } | undefined;
  for (const event of base.events.slice(0, finishEventId - 1)) {
    if (event.workflowTaskScheduledEventAttributes) pending = { scheduledEventId: Number(event.eventId) };
    else if (event.workflowTaskStartedEventAttributes && pending) pending.startedEventId = Number(event.eventId);
    else if (event.workflowTaskCompletedEventAttributes || event.workflowTaskFailedEventAttributes || event.workflowTaskTimedOutEventAttributes) pending = undefined;
  }
  if (!pending) throw invalidArgument(`Can only reset workflow to event ID in range [WorkflowTaskScheduled +1, WorkflowTaskStarted + 1]: ${finishEventId}`);
  return pending;
}

/** The event types a reset reapplies, from the request's (deprecated) reapply type and its exclusions, as the real server reads them. */
function reapplied(request: ResetRequest): { signals: boolean; updates: boolean } {
  const excluded = new Set(request.excludeTypes);
  if (request.reapplyType === Reapply.RESET_REAPPLY_TYPE_SIGNAL) excluded.add(Exclude.RESET_REAPPLY_EXCLUDE_TYPE_UPDATE);
  if (request.reapplyType === Reapply.RESET_REAPPLY_TYPE_NONE) {
    excluded.add(Exclude.RESET_REAPPLY_EXCLUDE_TYPE_SIGNAL);
    excluded.add(Exclude.RESET_REAPPLY_EXCLUDE_TYPE_UPDATE);
  }
  return { signals: !excluded.has(Exclude.RESET_REAPPLY_EXCLUDE_TYPE_SIGNAL), updates: !excluded.has(Exclude.RESET_REAPPLY_EXCLUDE_TYPE_UPDATE) };
}

/** The events after the reset point: the rest of the base run, then each run it continued as new into. */
function eventsAfter(engine: Engine, base: Execution, fromEventId: number): HistoryEvent[] {
  const out = base.events.slice(fromEventId - 1);
  for (let run: Execution | undefined = base; run;) {
    const next: string | null | undefined = run.lastEvent?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId;
    run = next ? engine.runs.get(next) : undefined;
    if (run) out.push(...run.events);
  }
  return out;
}

/** A copy of an event that the new run owns (the old run's history stays as it was). */
const copy = (event: HistoryEvent): HistoryEvent => structuredClone(event);

/** A fresh state for the new run: the base's settings, nothing pending yet. */
function freshState(engine: Engine, base: Execution, events: HistoryEvent[], runId: string): RunState {
  const b = base.state;
  const started = events[0]?.workflowExecutionStartedEventAttributes ?? {};
  const now = engine.now();
  const state: RunState = {
    namespace: b.namespace,
    workflowId: b.workflowId,
    runId,
    workflowType: b.workflowType,
    taskQueue: b.taskQueue,
    status: enums.WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING,
    startTime: now,
    executionTime: now,
    requestId: randomUUID(),
    firstRunId: b.firstRunId,
    parent: b.parent,
    root: b.root,
    memo: { ...(started.memo?.fields ?? {}) },
    searchAttributes: { ...(started.searchAttributes?.indexedFields ?? {}) },
    executionTimeoutMs: b.executionTimeoutMs,
    runTimeoutMs: b.runTimeoutMs,
    taskTimeoutMs: b.taskTimeoutMs,
    executionDeadline: b.executionDeadline,
    runDeadline: b.runTimeoutMs > 0 ? now + b.runTimeoutMs : 0,
    retryPolicy: b.retryPolicy,
    cronSchedule: b.cronSchedule,
    attempt: b.attempt,
    firstWftAt: 0,
    ...newRunProgress(),
    // It starts with the base run's events up to the reset point.
    nextEventId: events.length + 1,
    historySizeBytes: events.reduce((sum, event) => sum + eventSize(event), 0),
  };
  return state;
}

/** Replays the copied events into the new run's state: pending activities and timers, memo and search attributes, updates. */
function replay(state: RunState, events: HistoryEvent[], now: number): void {
  for (const event of events) {
    const id = Number(event.eventId);
    const scheduled = event.activityTaskScheduledEventAttributes;
    if (scheduled) {
      const startToCloseMs = durationMs(scheduled.startToCloseTimeout);
      const act: ActivityState = {
        scheduledEventId: id,
        activityId: scheduled.activityId ?? '',
        activityType: scheduled.activityType?.name ?? '',
        taskQueue: scheduled.taskQueue?.name || state.taskQueue,
        attempt: 1,
        phase: ACTIVITY.next('none', 'schedule'),
        scheduledTime: now,
        attemptScheduledTime: now,
        scheduleToCloseMs: durationMs(scheduled.scheduleToCloseTimeout),
        scheduleToStartMs: durationMs(scheduled.scheduleToStartTimeout),
        startToCloseMs,
        heartbeatMs: durationMs(scheduled.heartbeatTimeout),
        retry: normalizeRetry(scheduled.retryPolicy),
      };
      state.activities[id] = act;
    }
    const ended =
      event.activityTaskCompletedEventAttributes ??
      event.activityTaskFailedEventAttributes ??
      event.activityTaskTimedOutEventAttributes ??
      event.activityTaskCanceledEventAttributes;
    if (ended) delete state.activities[Number(ended.scheduledEventId)];
    const cancelRequested = event.activityTaskCancelRequestedEventAttributes;
    if (cancelRequested && state.activities[Number(cancelRequested.scheduledEventId)]) state.activities[Number(cancelRequested.scheduledEventId)].cancelRequestedEventId = id;
    const timer = event.timerStartedEventAttributes;
    if (timer?.timerId) state.timers[timer.timerId] = { timerId: timer.timerId, startedEventId: id, due: timestampMs(event.eventTime) + durationMs(timer.startToFireTimeout) };
    const timerDone = event.timerFiredEventAttributes ?? event.timerCanceledEventAttributes;
    if (timerDone?.timerId) delete state.timers[timerDone.timerId];
    if (event.workflowTaskCompletedEventAttributes) state.lastCompletedStartedId = Number(event.workflowTaskCompletedEventAttributes.startedEventId);
    if (event.upsertWorkflowSearchAttributesEventAttributes)
      mergeFields(state.searchAttributes, event.upsertWorkflowSearchAttributesEventAttributes.searchAttributes?.indexedFields ?? {});
    if (event.workflowPropertiesModifiedEventAttributes) mergeFields(state.memo, event.workflowPropertiesModifiedEventAttributes.upsertedMemo?.fields ?? {});
    if (event.workflowExecutionCancelRequestedEventAttributes) state.cancelRequested = true;
    const admitted = event.workflowExecutionUpdateAdmittedEventAttributes?.request;
    if (admitted?.meta?.updateId) state.updates[admitted.meta.updateId] = { updateId: admitted.meta.updateId, request: admitted, stage: 'admitted', admittedEventId: id };
    const accepted = event.workflowExecutionUpdateAcceptedEventAttributes;
    if (accepted?.protocolInstanceId) {
      const known = state.updates[accepted.protocolInstanceId];
      state.updates[accepted.protocolInstanceId] = {
        ...known,
        updateId: accepted.protocolInstanceId,
        request: accepted.acceptedRequest ?? known?.request ?? {},
        stage: 'accepted',
        acceptedEventId: id,
      };
    }
    const completed = event.workflowExecutionUpdateCompletedEventAttributes;
    const update = completed?.meta?.updateId ? state.updates[completed.meta.updateId] : undefined;
    if (completed && update) Object.assign(update, { stage: 'completed', outcome: completed.outcome ?? undefined });
  }
}

/** Work that another workflow would have to answer again cannot be rebuilt here: a point with any is refused. */
function refusePendingElsewhere(events: HistoryEvent[]): void {
  const pendingElsewhere: string[] = [];
  for (const event of events) {
    const id = Number(event.eventId);
    if (event.startChildWorkflowExecutionInitiatedEventAttributes)
      pendingElsewhere.push(`child ${event.startChildWorkflowExecutionInitiatedEventAttributes.workflowId ?? ''}@${id}`);
    if (event.signalExternalWorkflowExecutionInitiatedEventAttributes || event.requestCancelExternalWorkflowExecutionInitiatedEventAttributes)
      pendingElsewhere.push(`external@${id}`);
    const answered =
      event.childWorkflowExecutionCompletedEventAttributes ??
      event.childWorkflowExecutionFailedEventAttributes ??
      event.childWorkflowExecutionCanceledEventAttributes ??
      event.childWorkflowExecutionTimedOutEventAttributes ??
      event.childWorkflowExecutionTerminatedEventAttributes ??
      event.startChildWorkflowExecutionFailedEventAttributes ??
      event.externalWorkflowExecutionSignaledEventAttributes ??
      event.signalExternalWorkflowExecutionFailedEventAttributes ??
      event.externalWorkflowExecutionCancelRequestedEventAttributes ??
      event.requestCancelExternalWorkflowExecutionFailedEventAttributes;
    if (answered) {
      const initiated = Number(answered.initiatedEventId);
      const at = pendingElsewhere.findIndex((p) => p.endsWith(`@${initiated}`));
      if (at >= 0) pendingElsewhere.splice(at, 1);
    }
  }
  if (pendingElsewhere.length) {
    throw invalidArgument(
      `Resetting to a point with pending child workflows or external signals and cancels is not supported by the Durafax engine (${pendingElsewhere.join(', ')}).`,
    );
  }
}

/** The new run's state, replayed from its copied events. */
function rebuild(engine: Engine, base: Execution, events: HistoryEvent[], runId: string): RunState {
  refusePendingElsewhere(events);
  const state = freshState(engine, base, events, runId);
  replay(state, events, engine.now());
  return state;
}

/** Resets the workflow run `base` to one of its workflow tasks; returns the new run (the current one for a repeated request). */
export function resetRun(engine: Engine, base: Execution, request: ResetRequest): Execution {
  const current = engine.currentRun(base.state.namespace, base.state.workflowId);
  // As the real server: a request already served made the current run.
  if (current && request.requestId && current.state.requestId === request.requestId) return current;
  const point = resetPoint(base, request.workflowTaskFinishEventId);
  const runId = randomUUID();
  const events = base.events.slice(0, request.workflowTaskFinishEventId - 1).map(copy);
  const state = rebuild(engine, base, events, runId);
  state.requestId = request.requestId || randomUUID();
  state.lastResetTime = engine.now();
  const later = eventsAfter(engine, base, request.workflowTaskFinishEventId);
  if (current?.open) terminateRun(engine, current, request.reason, undefined, 'history-resetter');
  base.state.resetRunId = runId;
  engine.touch(base);

  const run = new Execution(state, events);
  // Every event of the new run, the copied ones too, goes to the journal with it.
  run.persistedEvents = 0;
  engine.addRun(run);
  const startedEventId =
    point.startedEventId ??
    Number(
      addEvent(engine, run, EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED, 'workflowTaskStartedEventAttributes', {
        scheduledEventId: point.scheduledEventId,
        identity: HISTORY_SERVICE,
        requestId: randomUUID(),
      }).eventId,
    );
  addEvent(engine, run, EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED, 'workflowTaskFailedEventAttributes', {
    scheduledEventId: point.scheduledEventId,
    startedEventId,
    cause: enums.WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_RESET_WORKFLOW,
    failure: { message: request.reason, resetWorkflowFailureInfo: {} },
    identity: HISTORY_SERVICE,
    baseRunId: base.runId,
    newRunId: runId,
  });
  const { signals, updates } = reapplied(request);
  for (const event of later) {
    const signal = event.workflowExecutionSignaledEventAttributes;
    if (signals && signal) addEvent(engine, run, EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED, 'workflowExecutionSignaledEventAttributes', structuredClone(signal));
    // An update the base run admitted durably or accepted is admitted again, durably (the worker gets it in the next task).
    const request = event.workflowExecutionUpdateAdmittedEventAttributes?.request ?? event.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest;
    const updateId = request?.meta?.updateId;
    if (updates && request && updateId && !state.updates[updateId]) {
      const admitted = addEvent(engine, run, EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ADMITTED, 'workflowExecutionUpdateAdmittedEventAttributes', {
        request: structuredClone(request),
        origin: enums.UpdateAdmittedEventOrigin.UPDATE_ADMITTED_EVENT_ORIGIN_REAPPLY,
      });
      state.updates[updateId] = { updateId, request: structuredClone(request), stage: 'admitted', admittedEventId: Number(admitted.eventId) };
    }
  }
  armRunTimeout(engine, run);
  rearmRunTimers(engine, run);
  for (const key in state.activities) rearmActivity(engine, run, state.activities[key]);
  scheduleWft(engine, run);
  engine.log.info('workflow reset', { namespace: state.namespace, workflowId: state.workflowId, baseRunId: base.runId, runId, finishEventId: request.workflowTaskFinishEventId });
  return run;
}
