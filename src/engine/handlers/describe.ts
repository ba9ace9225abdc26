import type { Engine } from '../engine';
import type { ActivityState, Execution } from '../model/state';
import { enums, type DescribeWorkflowExecutionRes, type WorkflowExecutionInfo } from '../proto';
import { msDuration, msTimestamp, optionalDuration } from '../time';
import { overrideProto, versionStringV31 } from '../deployments/deployments';

const PA = enums.PendingActivityState;

/** A pending activity's state as the real server reports it: paused while waiting, pause requested while running. */
export function pendingActivityState(a: ActivityState): number {
  if (a.cancelRequestedEventId) return PA.PENDING_ACTIVITY_STATE_CANCEL_REQUESTED;
  if (a.phase === 'started') return a.paused ? PA.PENDING_ACTIVITY_STATE_PAUSE_REQUESTED : PA.PENDING_ACTIVITY_STATE_STARTED;
  return a.paused ? PA.PENDING_ACTIVITY_STATE_PAUSED : PA.PENDING_ACTIVITY_STATE_SCHEDULED;
}

/** Worker versioning: what the last worker reported (behavior, version) and an operator's override; absent for unversioned runs. */
function versioningInfo(run: Execution): WorkflowExecutionInfo['versioningInfo'] {
  const { versioning, versioningOverride } = run.state;
  if (!versioning && !versioningOverride) return undefined;
  const version = versioning?.version;
  return {
    behavior: versioning?.behavior ?? 0,
    deploymentVersion: version,
    version: version ? versionStringV31(version) : '',
    deployment: version ? { seriesName: version.deploymentName, buildId: version.buildId } : undefined,
    versioningOverride: overrideProto(versioningOverride),
  };
}

/** The visibility record of a run, as Describe and List return it. */
export function executionInfo(run: Execution): WorkflowExecutionInfo {
  const s = run.state;
  return {
    execution: { workflowId: s.workflowId, runId: s.runId },
    type: { name: s.workflowType },
    startTime: msTimestamp(s.startTime),
    closeTime: s.closeTime ? msTimestamp(s.closeTime) : undefined,
    status: s.status,
    historyLength: run.events.length,
    parentExecution: s.parent ? { workflowId: s.parent.workflowId, runId: s.parent.runId } : undefined,
    executionTime: msTimestamp(s.executionTime),
    memo: { fields: s.memo },
    searchAttributes: { indexedFields: s.searchAttributes },
    taskQueue: s.taskQueue,
    stateTransitionCount: run.events.length,
    historySizeBytes: s.historySizeBytes,
    rootExecution: s.root ?? { workflowId: s.workflowId, runId: s.runId },
    firstRunId: s.firstRunId,
    executionDuration: s.closeTime ? msDuration(s.closeTime - s.executionTime) : undefined,
    versioningInfo: versioningInfo(run),
  };
}

export function describeRun(engine: Engine, run: Execution): DescribeWorkflowExecutionRes {
  const s = run.state;
  const now = engine.now();
  return {
    executionConfig: {
      taskQueue: { name: s.taskQueue, kind: enums.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
      workflowExecutionTimeout: optionalDuration(s.executionTimeoutMs),
      workflowRunTimeout: optionalDuration(s.runTimeoutMs),
      defaultWorkflowTaskTimeout: msDuration(s.taskTimeoutMs),
      userMetadata: run.events[0]?.userMetadata ?? undefined,
    },
    workflowExecutionInfo: executionInfo(run),
    workflowExtendedInfo: {
      executionExpirationTime: s.executionDeadline ? msTimestamp(s.executionDeadline) : undefined,
      runExpirationTime: s.runDeadline ? msTimestamp(s.runDeadline) : undefined,
      cancelRequested: s.cancelRequested,
      lastResetTime: s.lastResetTime ? msTimestamp(s.lastResetTime) : undefined,
      // A reset run keeps its base's start event: the original start.
      originalStartTime: run.events[0]?.eventTime ?? msTimestamp(s.startTime),
      resetRunId: s.resetRunId ?? '',
    },
    pendingActivities: Object.values(s.activities).map((a) => ({
      activityId: a.activityId,
      activityType: { name: a.activityType },
      state: pendingActivityState(a),
      paused: !!a.paused,
      pauseInfo: a.paused ? { pauseTime: msTimestamp(a.paused.time), manual: { identity: a.paused.identity, reason: a.paused.reason } } : undefined,
      heartbeatDetails: a.heartbeatDetails ?? undefined,
      lastHeartbeatTime: a.lastHeartbeatTime ? msTimestamp(a.lastHeartbeatTime) : undefined,
      lastStartedTime: a.startedTime ? msTimestamp(a.startedTime) : undefined,
      attempt: a.attempt,
      maximumAttempts: a.retry.maxAttempts,
      scheduledTime: msTimestamp(a.attemptScheduledTime),
      expirationTime: a.scheduleToCloseMs ? msTimestamp(a.scheduledTime + a.scheduleToCloseMs) : undefined,
      lastFailure: a.lastFailure ?? undefined,
      lastWorkerIdentity: a.identity ?? '',
      lastAttemptCompleteTime: a.lastAttemptCompleteTime ? msTimestamp(a.lastAttemptCompleteTime) : undefined,
      nextAttemptScheduleTime: a.phase === 'backoff' && a.retryAt ? msTimestamp(a.retryAt) : undefined,
      currentRetryInterval: a.phase === 'backoff' && a.retryAt ? msDuration(Math.max(0, a.retryAt - now)) : undefined,
    })),
    pendingChildren: Object.values(s.children).map((c) => ({
      workflowId: c.workflowId,
      runId: c.runId ?? '',
      workflowTypeName: c.workflowType,
      initiatedId: c.initiatedEventId,
      parentClosePolicy: c.parentClosePolicy,
    })),
    pendingWorkflowTask: s.wft
      ? {
          state:
            s.wft.phase === 'started' ? enums.PendingWorkflowTaskState.PENDING_WORKFLOW_TASK_STATE_STARTED : enums.PendingWorkflowTaskState.PENDING_WORKFLOW_TASK_STATE_SCHEDULED,
          scheduledTime: msTimestamp(s.wft.scheduledTime),
          originalScheduledTime: msTimestamp(s.wft.scheduledTime),
          startedTime: s.wft.startedTime ? msTimestamp(s.wft.startedTime) : undefined,
          attempt: s.wft.attempt,
        }
      : undefined,
  };
}
