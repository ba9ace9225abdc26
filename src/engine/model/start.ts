import { randomUUID } from 'node:crypto';
import type { Engine } from '../engine';
import { alreadyStarted, invalidArgument } from '../grpc/errors';
import { enums, type Failure, type Header, type Payload, type Payloads, type Priority, type RetryPolicy, type UserMetadata } from '../proto';
import { msDuration, msTimestamp, optionalDuration } from '../time';
import { addEvent } from './events';
import { runTimedOut, terminateRun } from './close';
import { Execution, newRunProgress, type ParentRef, type RunState } from './state';
import { rearmRunTimers, runTimeoutKey } from './run-timers';
import { scheduleWft } from './schedule-workflow-task';
import { recordVersioningAttributes } from './properties';
import { overrideProto } from '../deployments/deployments';

const EventType = enums.EventType;
const Status = enums.WorkflowExecutionStatus;
const ReusePolicy = enums.WorkflowIdReusePolicy;
const ConflictPolicy = enums.WorkflowIdConflictPolicy;

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
  cronSchedule?: string;
  /** The starter's worker takes the first task itself (eager start): it is not put on the queue, and the caller starts it. */
  eager?: boolean;
  /** Worker versioning: an operator's override, and the run whose pinned version the new run inherits (a parent, the run it continues). */
  versioningOverride?: RunState['versioningOverride'];
  pinnedFrom?: Execution;
  /** A Nexus handler's workflow: where its outcome goes when its chain of runs ends. */
  completionCallbacks?: RunState['completionCallbacks'];
}

/** Creates a run: WorkflowExecutionStarted, then (unless delayed) its first workflow task. */
export function createRun(engine: Engine, params: StartParams): Execution {
  const now = engine.now();
  const runId = params.runId ?? randomUUID();
  const executionTimeoutMs = params.executionTimeoutMs;
  let runTimeoutMs = params.runTimeoutMs || executionTimeoutMs;
  if (executionTimeoutMs > 0) runTimeoutMs = Math.min(runTimeoutMs, executionTimeoutMs);
  let taskTimeoutMs = Math.min(params.taskTimeoutMs || 10_000, MAX_TASK_TIMEOUT_MS);
  if (runTimeoutMs > 0) taskTimeoutMs = Math.min(taskTimeoutMs, runTimeoutMs);
  const delay = params.startDelayMs ?? 0;
  const executionDeadline = params.executionDeadline ?? (executionTimeoutMs > 0 ? now + delay + executionTimeoutMs : 0);
  const state: RunState = {
    namespace: params.namespace,
    workflowId: params.workflowId,
    runId,
    workflowType: params.workflowType,
    taskQueue: params.taskQueue,
    status: Status.WORKFLOW_EXECUTION_STATUS_RUNNING,
    startTime: now,
    executionTime: now + delay,
    requestId: params.requestId,
    firstRunId: params.firstRunId ?? runId,
    parent: params.parent,
    root: params.root,
    memo: { ...(params.memo ?? {}) },
    searchAttributes: engine.typedSearchAttributes(params.namespace, params.searchAttributes),
    executionTimeoutMs,
    runTimeoutMs,
    taskTimeoutMs,
    executionDeadline,
    runDeadline: runTimeoutMs > 0 ? now + delay + runTimeoutMs : 0,
    retryPolicy: params.retryPolicy ?? undefined,
    cronSchedule: params.cronSchedule || undefined,
    attempt: params.attempt ?? 1,
    firstWftAt: delay > 0 ? now + delay : 0,
    ...newRunProgress(),
    versioningOverride: params.versioningOverride,
    completionCallbacks: params.completionCallbacks,
  };
  // A pinned parent's (or previous run's) version holds the new run until its first worker says otherwise.
  const inherited = params.pinnedFrom && engine.deployments.inheritedVersion(params.pinnedFrom, params.taskQueue);
  if (inherited) state.versioning = { behavior: enums.VersioningBehavior.VERSIONING_BEHAVIOR_PINNED, version: inherited };
  const run = new Execution(state, []);
  recordVersioningAttributes(run);
  engine.addRun(run);
  const started = addEvent(engine, run, EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED, 'workflowExecutionStartedEventAttributes', {
    workflowType: { name: params.workflowType },
    parentWorkflowNamespace: params.parent?.namespace,
    parentWorkflowExecution: params.parent ? { workflowId: params.parent.workflowId, runId: params.parent.runId } : undefined,
    parentInitiatedEventId: params.parent?.initiatedEventId,
    taskQueue: { name: params.taskQueue, kind: enums.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
    input: params.input ?? undefined,
    // Timeouts nobody set are absent (the SDK reports them as undefined, not 0 ms).
    workflowExecutionTimeout: optionalDuration(executionTimeoutMs),
    workflowRunTimeout: optionalDuration(runTimeoutMs),
    workflowTaskTimeout: msDuration(taskTimeoutMs),
    continuedExecutionRunId: params.continued?.runId,
    initiator: params.continued?.initiator,
    continuedFailure: params.continued?.failure ?? undefined,
    lastCompletionResult: params.continued?.lastCompletionResult ?? undefined,
    originalExecutionRunId: runId,
    identity: params.identity,
    firstExecutionRunId: state.firstRunId,
    retryPolicy: params.retryPolicy ?? undefined,
    attempt: state.attempt,
    workflowExecutionExpirationTime: executionDeadline ? msTimestamp(executionDeadline) : undefined,
    firstWorkflowTaskBackoff: delay > 0 ? msDuration(delay) : undefined,
    cronSchedule: params.cronSchedule || undefined,
    // Copies: upserts change the run's live maps, never the event that records how it started.
    memo: { fields: { ...state.memo } },
    searchAttributes: { indexedFields: { ...state.searchAttributes } },
    header: params.header ?? undefined,
    workflowId: params.workflowId,
    // A top-level run has no root in its start event (the SDK's workflowInfo().root is undefined);
    // Describe and visibility still name it as its own root, as the real server does.
    rootWorkflowExecution: params.root,
    priority: params.priority ?? undefined,
    versioningOverride: overrideProto(params.versioningOverride),
    inheritedPinnedVersion: inherited,
    completionCallbacks: params.completionCallbacks?.map((c) => ({ nexus: c })),
  });
  if (params.userMetadata) started.userMetadata = params.userMetadata;
  if (params.signal) {
    addEvent(engine, run, EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED, 'workflowExecutionSignaledEventAttributes', {
      signalName: params.signal.name,
      input: params.signal.input ?? undefined,
      identity: params.signal.identity,
      header: params.signal.header ?? undefined,
    });
  }
  armRunTimeout(engine, run);
  rearmRunTimers(engine, run);
  scheduleWft(engine, run, !params.eager);
  engine.log.info('workflow started', {
    namespace: params.namespace,
    workflowId: params.workflowId,
    runId,
    workflowType: params.workflowType,
    taskQueue: params.taskQueue,
    attempt: state.attempt,
  });
  return run;
}

/** Starts the run that carries on a closed one (a workflow retry, a continue-as-new), if there is one. */
export function startContinuation(engine: Engine, next: StartParams | undefined): void {
  if (next) createRun(engine, next);
}

/**
 * Arms the run (and execution) timeout. It lives here, beside createRun, because a run that
 * times out may be retried as a new run, which arms a timeout of its own.
 */
export function armRunTimeout(engine: Engine, run: Execution): void {
  const state = run.state;
  const deadlines = [state.runDeadline, state.executionDeadline].filter((deadline) => deadline > 0);
  if (!deadlines.length) return;
  engine.clock.set(runTimeoutKey(run), Math.min(...deadlines), () => engine.tx(() => startContinuation(engine, runTimedOut(engine, run))));
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
export function resolveIdConflict(
  engine: Engine,
  namespace: string,
  workflowId: string,
  requestId: string,
  policies: IdPolicies,
): { run: Execution; started: boolean } | undefined {
  let { reuse, conflict } = policies;
  if (reuse === ReusePolicy.WORKFLOW_ID_REUSE_POLICY_TERMINATE_IF_RUNNING) {
    if (conflict) throw invalidArgument('Invalid WorkflowIDReusePolicy: WORKFLOW_ID_REUSE_POLICY_TERMINATE_IF_RUNNING cannot be used together with a WorkflowIDConflictPolicy.');
    reuse = ReusePolicy.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE;
    conflict = ConflictPolicy.WORKFLOW_ID_CONFLICT_POLICY_TERMINATE_EXISTING;
  }
  if (reuse === ReusePolicy.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE && conflict === ConflictPolicy.WORKFLOW_ID_CONFLICT_POLICY_TERMINATE_EXISTING) {
    throw invalidArgument(
      'Invalid WorkflowIDReusePolicy: WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE cannot be used together with a WorkflowIdConflictPolicy WORKFLOW_ID_CONFLICT_POLICY_TERMINATE_EXISTING.',
    );
  }
  if (requestId) {
    const same = engine.runsOf(namespace, workflowId).find((earlier) => earlier.state.requestId === requestId);
    if (same) return { run: same, started: true };
  }
  const current = engine.currentRun(namespace, workflowId);
  if (!current) return undefined;
  if (current.open) {
    if (conflict === ConflictPolicy.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING) return { run: current, started: false };
    if (conflict === ConflictPolicy.WORKFLOW_ID_CONFLICT_POLICY_TERMINATE_EXISTING) {
      terminateRun(engine, current, 'terminated by a new start of the same workflow id', undefined, 'history-service');
      return undefined;
    }
    throw alreadyStarted(`Workflow execution is already running. WorkflowId: ${workflowId}, RunId: ${current.runId}.`, current.state.requestId, current.runId);
  }
  if (reuse === ReusePolicy.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE) {
    throw alreadyStarted(
      `Workflow execution already finished. WorkflowId: ${workflowId}, RunId: ${current.runId}. Workflow Id reuse policy: reject duplicate workflow Id.`,
      current.state.requestId,
      current.runId,
    );
  }
  if (reuse === ReusePolicy.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE_FAILED_ONLY && current.state.status === Status.WORKFLOW_EXECUTION_STATUS_COMPLETED) {
    throw alreadyStarted(
      `Workflow execution already finished successfully. WorkflowId: ${workflowId}, RunId: ${current.runId}. Workflow Id reuse policy: allow duplicate workflow Id if last run failed.`,
      current.state.requestId,
      current.runId,
    );
  }
  return undefined;
}
