import type { Engine } from '../engine';
import { alreadyCompleted, invalidArgument, notFound } from '../grpc/errors';
import type { CallContext, Handler } from '../grpc/server';
import { pauseActivity, resetActivity, unpauseActivity } from '../model/activity-operator';
import { standaloneRun } from '../model/activity';
import { hostedActivity, requestCancelStandalone, startStandaloneActivity, terminateStandalone, type StartActivityReq } from '../model/standalone-activity';
import type { ActivityState, Execution } from '../model/state';
import { enums, type Duration, type temporal, type Plain } from '../proto';
import { retryToProto } from '../model/retry';
import { durationMs, msDuration, msTimestamp, optionalDuration } from '../time';
import { required, waitForRun } from './common';
import { pendingActivityState, retryBackoff } from './describe';
import { countOf, matching } from './visibility';

type W = typeof temporal.api.workflowservice.v1;
type Req<K extends keyof W> = W[K] extends { prototype: infer P } ? Plain<P> : never;

const Status = enums.WorkflowExecutionStatus;
const ActivityStatus = enums.ActivityExecutionStatus;
const PA = enums.PendingActivityState;

/** A standalone activity's status in the activity API's own enum (its host run keeps a workflow status). */
const ACTIVITY_STATUS: Record<number, number> = {
  [Status.WORKFLOW_EXECUTION_STATUS_RUNNING]: ActivityStatus.ACTIVITY_EXECUTION_STATUS_RUNNING,
  [Status.WORKFLOW_EXECUTION_STATUS_COMPLETED]: ActivityStatus.ACTIVITY_EXECUTION_STATUS_COMPLETED,
  [Status.WORKFLOW_EXECUTION_STATUS_FAILED]: ActivityStatus.ACTIVITY_EXECUTION_STATUS_FAILED,
  [Status.WORKFLOW_EXECUTION_STATUS_CANCELED]: ActivityStatus.ACTIVITY_EXECUTION_STATUS_CANCELED,
  [Status.WORKFLOW_EXECUTION_STATUS_TERMINATED]: ActivityStatus.ACTIVITY_EXECUTION_STATUS_TERMINATED,
  [Status.WORKFLOW_EXECUTION_STATUS_TIMED_OUT]: ActivityStatus.ACTIVITY_EXECUTION_STATUS_TIMED_OUT,
};

function listInfo(run: Execution): object {
  const s = run.state;
  return {
    activityId: s.workflowId,
    runId: run.runId,
    activityType: { name: s.workflowType },
    scheduleTime: msTimestamp(s.startTime),
    executionTime: msTimestamp(s.executionTime),
    closeTime: s.closeTime ? msTimestamp(s.closeTime) : undefined,
    executionDuration: s.closeTime ? msDuration(s.closeTime - s.startTime) : undefined,
    status: ACTIVITY_STATUS[s.status],
    searchAttributes: { indexedFields: s.searchAttributes },
    taskQueue: s.taskQueue,
    stateTransitionCount: run.events.length,
  };
}

function executionInfo(run: Execution, details: { heartbeat: boolean; failure: boolean }): object {
  const a = hostedActivity(run);
  const open = run.open;
  return {
    ...listInfo(run),
    status: open && a?.paused ? ActivityStatus.ACTIVITY_EXECUTION_STATUS_PAUSED : ACTIVITY_STATUS[run.state.status],
    runState: open && a ? pendingActivityState(a) : PA.PENDING_ACTIVITY_STATE_UNSPECIFIED,
    scheduleToCloseTimeout: optionalDuration(a?.scheduleToCloseMs ?? 0),
    scheduleToStartTimeout: optionalDuration(a?.scheduleToStartMs ?? 0),
    startToCloseTimeout: optionalDuration(a?.startToCloseMs ?? 0),
    heartbeatTimeout: optionalDuration(a?.heartbeatMs ?? 0),
    retryPolicy: a ? retryToProto(a.retry) : undefined,
    heartbeatDetails: details.heartbeat ? (a?.heartbeatDetails ?? undefined) : undefined,
    lastHeartbeatTime: a?.lastHeartbeatTime ? msTimestamp(a.lastHeartbeatTime) : undefined,
    lastStartedTime: a?.startedTime ? msTimestamp(a.startedTime) : undefined,
    attempt: a?.attempt ?? 1,
    expirationTime: a?.scheduleToCloseMs ? msTimestamp(a.scheduledTime + a.scheduleToCloseMs) : undefined,
    lastFailure: details.failure ? (a?.lastFailure ?? undefined) : undefined,
    lastWorkerIdentity: a?.identity ?? '',
    lastAttemptCompleteTime: a?.lastAttemptCompleteTime ? msTimestamp(a.lastAttemptCompleteTime) : undefined,
    ...(open ? retryBackoff(a) : {}),
    canceledReason: run.state.cancelReason ?? '',
    userMetadata: run.events[0]?.userMetadata ?? undefined,
  };
}

/** The activities of a workflow an operator names: by id, by type, or all of them. */
function selectActivities(run: Execution, req: { id?: string | null; type?: string | null }, all: boolean): ActivityState[] {
  if (!run.open) throw alreadyCompleted();
  const pending = Object.values(run.state.activities);
  if (!req.id && !req.type && !all) throw invalidArgument('Either activity id or activity type must be provided.');
  const selected = req.id ? pending.filter((a) => a.activityId === req.id) : req.type ? pending.filter((a) => a.activityType === req.type) : pending;
  if (!selected.length) throw notFound(`activity not found: ${req.id || req.type || 'any'}`);
  return selected;
}

/** StartActivityExecution and the calls on a standalone activity by id (and run id when given); operator calls on any activity. */
export function activityHandlers(engine: Engine): Record<string, Handler> {
  const find = (req: { namespace?: string | null; activityId?: string | null; runId?: string | null }): Execution =>
    standaloneRun(engine, engine.namespaces.get(req.namespace).name, required(req.activityId, 'ActivityId'), req.runId);
  /** A standalone activity, or (given a workflow id) one of that workflow's: what the *ActivityExecution operator calls name. */
  const target = (req: { namespace?: string | null; workflowId?: string | null; activityId?: string | null; runId?: string | null }): { run: Execution; act: ActivityState } => {
    if (req.workflowId) {
      const run = engine.findRun(engine.namespaces.get(req.namespace).name, { workflowId: req.workflowId, runId: req.runId || undefined });
      return { run, act: selectActivities(run, { id: required(req.activityId, 'ActivityId') }, false)[0] };
    }
    const run = find(req);
    const act = Object.values(run.state.activities)[0];
    if (!run.open || !act) throw notFound('activity execution already completed');
    return { run, act };
  };
  const jitter = (d: Duration | null | undefined): number => durationMs(d);
  return {
    PauseActivity: (req: Req<'PauseActivityRequest'>) => {
      const run = engine.findRun(engine.namespaces.get(req.namespace).name, req.execution);
      const options = { identity: req.identity ?? '', reason: req.reason ?? '', requestId: req.requestId ?? undefined };
      engine.tx(() => {
        for (const act of selectActivities(run, req, false)) pauseActivity(engine, run, act, options);
      });
      return {};
    },
    UnpauseActivity: (req: Req<'UnpauseActivityRequest'>) => {
      const run = engine.findRun(engine.namespaces.get(req.namespace).name, req.execution);
      const options = { resetAttempts: !!req.resetAttempts, resetHeartbeat: !!req.resetHeartbeat, jitterMs: jitter(req.jitter) };
      engine.tx(() => {
        for (const act of selectActivities(run, req, !!req.unpauseAll)) if (act.paused || !req.unpauseAll) unpauseActivity(engine, run, act, options);
      });
      return {};
    },
    ResetActivity: (req: Req<'ResetActivityRequest'>) => {
      const run = engine.findRun(engine.namespaces.get(req.namespace).name, req.execution);
      const options = { resetHeartbeat: !!req.resetHeartbeat, keepPaused: !!req.keepPaused, jitterMs: jitter(req.jitter) };
      engine.tx(() => {
        for (const act of selectActivities(run, req, !!req.matchAll)) resetActivity(engine, run, act, options);
      });
      return {};
    },
    PauseActivityExecution: (req: Req<'PauseActivityExecutionRequest'>) => {
      const { run, act } = target(req);
      engine.tx(() => pauseActivity(engine, run, act, { identity: req.identity ?? '', reason: req.reason ?? '', requestId: req.requestId ?? undefined }));
      return {};
    },
    UnpauseActivityExecution: (req: Req<'UnpauseActivityExecutionRequest'>) => {
      const { run, act } = target(req);
      engine.tx(() => unpauseActivity(engine, run, act, { resetAttempts: false, resetHeartbeat: false, jitterMs: jitter(req.jitter) }));
      return {};
    },
    ResetActivityExecution: (req: Req<'ResetActivityExecutionRequest'>) => {
      const { run, act } = target(req);
      engine.tx(() => resetActivity(engine, run, act, { resetHeartbeat: !!req.resetHeartbeat, keepPaused: !!req.keepPaused, jitterMs: jitter(req.jitter) }));
      return {};
    },

    StartActivityExecution: (req: StartActivityReq) => {
      const { run, started } = engine.tx(() => startStandaloneActivity(engine, req));
      return { runId: run.runId, started };
    },

    /** Long-polls for the activity's outcome; answers without one when the poll times out (the SDK asks again). */
    PollActivityExecution: async (req: Req<'PollActivityExecutionRequest'>, ctx: CallContext) => {
      const run = find(req);
      await waitForRun(run, () => !run.open, ctx);
      return { runId: run.runId, outcome: run.open ? undefined : run.state.outcome };
    },

    DescribeActivityExecution: (req: Req<'DescribeActivityExecutionRequest'>) => {
      const run = find(req);
      const input = run.event(hostedActivity(run)?.scheduledEventId ?? 0)?.activityTaskScheduledEventAttributes?.input;
      return {
        runId: run.runId,
        info: executionInfo(run, { heartbeat: !!req.includeHeartbeatDetails, failure: !!req.includeLastFailure }),
        input: req.includeInput ? (input ?? undefined) : undefined,
        outcome: req.includeOutcome && !run.open ? run.state.outcome : undefined,
      };
    },

    RequestCancelActivityExecution: (req: Req<'RequestCancelActivityExecutionRequest'>) => {
      const run = find(req);
      engine.tx(() => requestCancelStandalone(engine, run, req.reason ?? ''));
      return {};
    },

    TerminateActivityExecution: (req: Req<'TerminateActivityExecutionRequest'>) => {
      const run = find(req);
      engine.tx(() => terminateStandalone(engine, run, req.reason ?? ''));
      return {};
    },

    DeleteActivityExecution: (req: Req<'DeleteActivityExecutionRequest'>) => {
      const run = find(req);
      if (run.open) engine.tx(() => terminateStandalone(engine, run, 'Delete activity execution'));
      engine.deleteRun(run);
      return {};
    },

    ListActivityExecutions: (req: Req<'ListActivityExecutionsRequest'>) => {
      const { runs } = matching(engine, engine.namespaces.get(req.namespace).name, req.query, 'activity');
      const offset = req.nextPageToken?.length ? Number(Buffer.from(req.nextPageToken).toString('utf8')) || 0 : 0;
      const size = req.pageSize && req.pageSize > 0 ? req.pageSize : 1000;
      const slice = runs.slice(offset, offset + size);
      const next = offset + slice.length;
      return { executions: slice.map(listInfo), nextPageToken: next < runs.length ? Buffer.from(String(next), 'utf8') : undefined };
    },

    CountActivityExecutions: (req: Req<'CountActivityExecutionsRequest'>) => countOf(matching(engine, engine.namespaces.get(req.namespace).name, req.query, 'activity')),
  };
}
