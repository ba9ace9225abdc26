import { status } from '@grpc/grpc-js';
import { randomUUID } from 'node:crypto';
import type { Engine } from '../engine';
import { EngineError, invalidArgument } from '../grpc/errors';
import { enums, type temporal, type Plain } from '../proto';
import { durationMs } from '../time';
import { closeStandalone, dropActivities, normalizeActivityTimeouts, requestCancelActivity, scheduleActivity } from './activity';
import { Execution, newRunProgress, type ActivityState, type RunState } from './state';

/**
 * Standalone activities (StartActivityExecution): an activity started by a client, with no
 * workflow. Each is hosted as a run of kind `activity` (see RunState.kind), so its attempts,
 * retries, timeouts, heartbeats, cancellation, journal and recovery are those of any activity;
 * it closes when its activity ends.
 */

export type StartActivityReq = Plain<temporal.api.workflowservice.v1.StartActivityExecutionRequest.$Properties>;

const Reuse = enums.ActivityIdReusePolicy;
const Conflict = enums.ActivityIdConflictPolicy;
const Status = enums.WorkflowExecutionStatus;

function alreadyStarted(message: string, startRequestId: string, runId: string): EngineError {
  return new EngineError(status.ALREADY_EXISTS, message, { type: 'temporal.api.errordetails.v1.ActivityExecutionAlreadyStartedFailure', value: { startRequestId, runId } });
}

/** The activity a standalone run hosts, while it runs, or as it was when it closed. */
export function hostedActivity(run: Execution): ActivityState | undefined {
  return Object.values(run.state.activities)[0] ?? run.state.finalActivity;
}

/** Applies the activity id reuse and conflict policies; the run to answer with, if no new one is started. */
function resolveActivityId(engine: Engine, namespace: string, req: StartActivityReq, requestId: string): { run: Execution; started: boolean } | undefined {
  const activityId = req.activityId ?? '';
  const same = engine.activityRunsOf(namespace, activityId).find((earlier) => earlier.state.requestId === requestId);
  if (same) return { run: same, started: true };
  const current = engine.currentActivityRun(namespace, activityId);
  if (!current) return undefined;
  if (current.open) {
    if (Number(req.idConflictPolicy) === Conflict.ACTIVITY_ID_CONFLICT_POLICY_USE_EXISTING) return { run: current, started: false };
    throw alreadyStarted(`Activity execution is already running. ActivityId: ${activityId}, RunId: ${current.runId}.`, current.state.requestId, current.runId);
  }
  const reuse = Number(req.idReusePolicy);
  if (reuse === Reuse.ACTIVITY_ID_REUSE_POLICY_REJECT_DUPLICATE) {
    throw alreadyStarted(
      `Activity execution already finished. ActivityId: ${activityId}, RunId: ${current.runId}. Id reuse policy: reject duplicate.`,
      current.state.requestId,
      current.runId,
    );
  }
  if (reuse === Reuse.ACTIVITY_ID_REUSE_POLICY_ALLOW_DUPLICATE_FAILED_ONLY && current.state.status === Status.WORKFLOW_EXECUTION_STATUS_COMPLETED) {
    throw alreadyStarted(
      `Activity execution already finished successfully. ActivityId: ${activityId}, RunId: ${current.runId}. Id reuse policy: allow duplicate if last run failed.`,
      current.state.requestId,
      current.runId,
    );
  }
  return undefined;
}

/** StartActivityExecution: checks the request, applies the id policies, and schedules the activity on its queue. */
export function startStandaloneActivity(engine: Engine, req: StartActivityReq): { run: Execution; started: boolean } {
  const namespace = engine.namespaces.get(req.namespace).name;
  if (!req.activityId) throw invalidArgument('ActivityId is not set on request.');
  if (!req.activityType?.name) throw invalidArgument('ActivityType is not set on request.');
  if (!req.taskQueue?.name) throw invalidArgument('TaskQueue is not set on request.');
  if (durationMs(req.startDelay) > 0) throw invalidArgument('StartDelay of a standalone activity is not supported by the Durafax engine.');
  const timeouts = normalizeActivityTimeouts(req, 0);
  if (typeof timeouts === 'string') throw invalidArgument(timeouts.replace('ScheduleActivityTaskCommand', 'StartActivityExecutionRequest'));
  const saError = engine.checkSearchAttributes(namespace, req.searchAttributes?.indexedFields);
  if (saError) throw invalidArgument(saError);
  const requestId = req.requestId || randomUUID();
  const existing = resolveActivityId(engine, namespace, req, requestId);
  if (existing) return existing;
  const now = engine.now();
  const runId = randomUUID();
  const state: RunState = {
    kind: 'activity',
    namespace,
    workflowId: req.activityId,
    runId,
    workflowType: req.activityType.name,
    taskQueue: req.taskQueue.name,
    status: Status.WORKFLOW_EXECUTION_STATUS_RUNNING,
    startTime: now,
    executionTime: now,
    requestId,
    firstRunId: runId,
    memo: {},
    searchAttributes: engine.typedSearchAttributes(namespace, req.searchAttributes?.indexedFields),
    executionTimeoutMs: 0,
    runTimeoutMs: 0,
    taskTimeoutMs: 0,
    executionDeadline: 0,
    runDeadline: 0,
    attempt: 1,
    firstWftAt: 0,
    ...newRunProgress(),
  };
  const run = new Execution(state, []);
  engine.addRun(run);
  // Its one event history is internal: the activity's scheduled/started/result events, as in a workflow.
  scheduleActivity(engine, run, { ...req, activityId: req.activityId, taskQueue: req.taskQueue }, 0, req.userMetadata);
  engine.log.info('activity started', { namespace, activityId: req.activityId, runId, activityType: req.activityType.name, taskQueue: req.taskQueue.name });
  return { run, started: true };
}

/** RequestCancelActivityExecution: one waiting for a worker is cancelled at once, a running one learns it from its heartbeat. */
export function requestCancelStandalone(engine: Engine, run: Execution, reason: string): void {
  const act = Object.values(run.state.activities)[0];
  if (!run.open || !act || act.cancelRequestedEventId) return;
  run.state.cancelReason = reason;
  engine.touch(run);
  requestCancelActivity(engine, run, act.scheduledEventId, 0);
}

/** TerminateActivityExecution: ends it now; a worker still running it is told nothing (its completion finds no activity). */
export function terminateStandalone(engine: Engine, run: Execution, reason: string): void {
  const act = Object.values(run.state.activities)[0];
  if (!run.open || !act) return;
  dropActivities(engine, run);
  closeStandalone(engine, run, act, 'terminate', { failure: { message: reason, source: 'Server', terminatedFailureInfo: {} } });
}
