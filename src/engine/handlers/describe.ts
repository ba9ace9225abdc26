import type { Engine } from '../engine';
import type { ActivityState, Execution, NexusOperationState } from '../model/state';
import { enums, type DescribeWorkflowExecutionRes, type WorkflowExecutionInfo } from '../proto';
import { msDuration, msTimestamp, optionalDuration } from '../time';
import { overrideProto, versionStringV31 } from '../deployments/deployments';

const PA = enums.PendingActivityState;
type PendingNexusOperation = NonNullable<DescribeWorkflowExecutionRes['pendingNexusOperations']>[number];

/** A pending activity's state as the real server reports it: paused while waiting, pause requested while running. */
export function pendingActivityState(a: ActivityState): number {
  if (a.cancelRequestedEventId) return PA.PENDING_ACTIVITY_STATE_CANCEL_REQUESTED;
  if (a.phase === 'started') return a.paused ? PA.PENDING_ACTIVITY_STATE_PAUSE_REQUESTED : PA.PENDING_ACTIVITY_STATE_STARTED;
  return a.paused ? PA.PENDING_ACTIVITY_STATE_PAUSED : PA.PENDING_ACTIVITY_STATE_SCHEDULED;
}

/**
 * An activity waiting to be retried, as the real server reports it: when the next attempt comes
 * and the interval it waits (not what is left of it); nothing for one not backing off.
 */
export function retryBackoff(a: ActivityState | undefined): { nextAttemptScheduleTime?: ReturnType<typeof msTimestamp>; currentRetryInterval?: ReturnType<typeof msDuration> } {
  if (a?.phase !== 'backoff' || !a.retryAt) return {};
  return { nextAttemptScheduleTime: msTimestamp(a.retryAt), currentRetryInterval: msDuration(Math.max(0, a.retryAt - (a.lastAttemptCompleteTime ?? a.retryAt))) };
}

/** Worker versioning: what the last worker reported (behavior, version) and an operator's override; absent for unversioned runs. */
function versioningInfo(run: Execution): WorkflowExecutionInfo['versioningInfo'] {
  const { versioning, versioningOverride } = run.visible;
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
  // What visibility keeps of a paged-out run is enough: a list does not load runs back.
  const s = run.visible;
  return {
    execution: { workflowId: s.workflowId, runId: s.runId },
    type: { name: s.workflowType },
    startTime: msTimestamp(s.startTime),
    closeTime: s.closeTime ? msTimestamp(s.closeTime) : undefined,
    status: s.status,
    historyLength: run.historyLength,
    parentExecution: s.parent ? { workflowId: s.parent.workflowId, runId: s.parent.runId } : undefined,
    executionTime: msTimestamp(s.executionTime),
    memo: { fields: s.memo },
    searchAttributes: { indexedFields: s.searchAttributes },
    taskQueue: s.taskQueue,
    stateTransitionCount: run.historyLength,
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
      // Waiting to be retried, the attempt is scheduled for its retry time (the UI's "Next Retry"), as the real server says.
      scheduledTime: msTimestamp(a.phase === 'backoff' && a.retryAt ? a.retryAt : a.attemptScheduledTime),
      expirationTime: a.scheduleToCloseMs ? msTimestamp(a.scheduledTime + a.scheduleToCloseMs) : undefined,
      lastFailure: a.lastFailure ?? undefined,
      lastWorkerIdentity: a.identity ?? '',
      lastAttemptCompleteTime: a.lastAttemptCompleteTime ? msTimestamp(a.lastAttemptCompleteTime) : undefined,
      ...retryBackoff(a),
    })),
    pendingNexusOperations: Object.values(s.nexusOps ?? {}).map((op) => pendingNexusOperation(op, now)),
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

const CancelState = enums.NexusOperationCancellationState;
const CANCEL_STATES: Record<NonNullable<NexusOperationState['cancel']>['phase'], number> = {
  sent: CancelState.NEXUS_OPERATION_CANCELLATION_STATE_SCHEDULED,
  backoff: CancelState.NEXUS_OPERATION_CANCELLATION_STATE_BACKING_OFF,
  succeeded: CancelState.NEXUS_OPERATION_CANCELLATION_STATE_SUCCEEDED,
  failed: CancelState.NEXUS_OPERATION_CANCELLATION_STATE_FAILED,
};
const OP_STATES: Record<NexusOperationState['phase'], number> = {
  scheduled: enums.PendingNexusOperationState.PENDING_NEXUS_OPERATION_STATE_SCHEDULED,
  backoff: enums.PendingNexusOperationState.PENDING_NEXUS_OPERATION_STATE_BACKING_OFF,
  started: enums.PendingNexusOperationState.PENDING_NEXUS_OPERATION_STATE_STARTED,
};

/** A pending Nexus operation as describe shows it: its state, attempts and last failure, and its cancel request's. */
function pendingNexusOperation(op: NexusOperationState, now: number): PendingNexusOperation {
  const cancel = op.cancel;
  return {
    endpoint: op.endpoint,
    service: op.service,
    operation: op.operation,
    operationToken: op.operationToken ?? '',
    operationId: op.operationToken ?? '',
    scheduleToCloseTimeout: optionalDuration(op.scheduleToCloseMs),
    scheduleToStartTimeout: optionalDuration(op.scheduleToStartMs ?? 0),
    startToCloseTimeout: optionalDuration(op.startToCloseMs ?? 0),
    scheduledTime: msTimestamp(op.scheduledTime),
    state: OP_STATES[op.phase],
    attempt: op.attempt,
    lastAttemptCompleteTime: op.lastAttemptCompleteTime ? msTimestamp(op.lastAttemptCompleteTime) : undefined,
    lastAttemptFailure: op.lastFailure,
    nextAttemptScheduleTime: op.phase === 'backoff' && op.retryAt ? msTimestamp(Math.max(op.retryAt, now)) : undefined,
    scheduledEventId: op.scheduledEventId,
    cancellationInfo: cancel
      ? {
          requestedTime: msTimestamp(cancel.requestedTime),
          state: CANCEL_STATES[cancel.phase],
          attempt: cancel.attempt,
          lastAttemptCompleteTime: cancel.lastAttemptCompleteTime ? msTimestamp(cancel.lastAttemptCompleteTime) : undefined,
          lastAttemptFailure: cancel.lastFailure,
          nextAttemptScheduleTime: cancel.phase === 'backoff' && cancel.retryAt ? msTimestamp(cancel.retryAt) : undefined,
        }
      : undefined,
  };
}
