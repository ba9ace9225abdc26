import type { Engine } from '../engine';
import type { CallContext, Handler } from '../grpc/server';
import { standaloneRun } from '../model/activity';
import { hostedActivity, requestCancelStandalone, startStandaloneActivity, terminateStandalone, type StartActivityReq } from '../model/standalone-activity';
import type { Execution } from '../model/state';
import { enums, type temporal, type Plain } from '../proto';
import { retryToProto } from '../model/retry';
import { msDuration, msTimestamp, optionalDuration } from '../time';
import { required, waitForRun } from './common';
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

function executionInfo(engine: Engine, run: Execution, details: { heartbeat: boolean; failure: boolean }): object {
  const a = hostedActivity(run);
  const open = run.open;
  const runState = !open || !a ? PA.PENDING_ACTIVITY_STATE_UNSPECIFIED : a.cancelRequestedEventId ? PA.PENDING_ACTIVITY_STATE_CANCEL_REQUESTED : a.phase === 'started' ? PA.PENDING_ACTIVITY_STATE_STARTED : PA.PENDING_ACTIVITY_STATE_SCHEDULED;
  return {
    ...listInfo(run),
    runState,
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
    nextAttemptScheduleTime: open && a?.phase === 'backoff' && a.retryAt ? msTimestamp(a.retryAt) : undefined,
    currentRetryInterval: open && a?.phase === 'backoff' && a.retryAt ? msDuration(Math.max(0, a.retryAt - engine.now())) : undefined,
    canceledReason: run.state.cancelReason ?? '',
    userMetadata: run.events[0]?.userMetadata ?? undefined,
  };
}

/** StartActivityExecution and the calls on a standalone activity by id (and run id when given). */
export function activityHandlers(engine: Engine): Record<string, Handler> {
  const find = (req: { namespace?: string | null; activityId?: string | null; runId?: string | null }): Execution =>
    standaloneRun(engine, engine.namespaces.get(req.namespace).name, required(req.activityId, 'ActivityId'), req.runId);
  return {
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
        info: executionInfo(engine, run, { heartbeat: !!req.includeHeartbeatDetails, failure: !!req.includeLastFailure }),
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
