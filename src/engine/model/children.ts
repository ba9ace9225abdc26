import type { Engine } from '../engine';
import { EngineError } from '../grpc/errors';
import { enums, type Command, type UserMetadata } from '../proto';
import { durationMs } from '../time';
import { addExternal } from './events';
import { requestCancelRun, signalRun } from './requests';
import { createRun, resolveIdConflict } from './start';
import type { Execution } from './state';
import { scheduleWft } from './schedule-workflow-task';

const E = enums.EventType;

type ChildAttrs = NonNullable<Command['startChildWorkflowExecutionCommandAttributes']>;
type SignalAttrs = NonNullable<Command['signalExternalWorkflowExecutionCommandAttributes']>;
type CancelAttrs = NonNullable<Command['requestCancelExternalWorkflowExecutionCommandAttributes']>;

/** Starts a child initiated by `parent`; the parent learns the outcome as ChildWorkflowExecutionStarted or StartChildWorkflowExecutionFailed. */
export function startChild(engine: Engine, parent: Execution, initiatedEventId: number, a: ChildAttrs, userMetadata?: UserMetadata | null): void {
  if (!parent.open) return;
  const p = parent.state;
  const namespace = a.namespace || p.namespace;
  const workflowId = a.workflowId ?? '';
  const workflowType = a.workflowType?.name ?? '';
  const failed = (cause: number): void => {
    delete p.children[initiatedEventId];
    addExternal(engine, parent, E.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_FAILED, 'startChildWorkflowExecutionFailedEventAttributes', {
      namespace,
      workflowId,
      workflowType: { name: workflowType },
      cause,
      control: a.control ?? '',
      initiatedEventId,
      workflowTaskCompletedEventId: Number(parent.event(initiatedEventId)?.startChildWorkflowExecutionInitiatedEventAttributes?.workflowTaskCompletedEventId ?? 0),
    });
    scheduleWft(engine, parent);
  };
  try {
    engine.namespaces.get(namespace);
  } catch {
    failed(enums.StartChildWorkflowExecutionFailedCause.START_CHILD_WORKFLOW_EXECUTION_FAILED_CAUSE_NAMESPACE_NOT_FOUND);
    return;
  }
  const requestId = `${parent.runId}:${initiatedEventId}`;
  try {
    const existing = resolveIdConflict(engine, namespace, workflowId, requestId, {
      reuse: a.workflowIdReusePolicy ?? 0,
      conflict: enums.WorkflowIdConflictPolicy.WORKFLOW_ID_CONFLICT_POLICY_FAIL,
    });
    if (existing) throw new EngineError(6, 'already started');
  } catch (err) {
    if (!(err instanceof EngineError)) throw err;
    failed(enums.StartChildWorkflowExecutionFailedCause.START_CHILD_WORKFLOW_EXECUTION_FAILED_CAUSE_WORKFLOW_ALREADY_EXISTS);
    return;
  }
  const child = createRun(engine, {
    namespace,
    workflowId,
    workflowType,
    taskQueue: a.taskQueue?.name || p.taskQueue,
    input: a.input,
    header: a.header,
    memo: a.memo?.fields,
    searchAttributes: a.searchAttributes?.indexedFields,
    executionTimeoutMs: durationMs(a.workflowExecutionTimeout),
    runTimeoutMs: durationMs(a.workflowRunTimeout),
    taskTimeoutMs: durationMs(a.workflowTaskTimeout),
    retryPolicy: a.retryPolicy,
    identity: '',
    requestId,
    parent: { namespace: p.namespace, workflowId: p.workflowId, runId: p.runId, initiatedEventId },
    root: p.root ?? { workflowId: p.workflowId, runId: p.runId },
    userMetadata,
    priority: a.priority,
  });
  const entry = p.children[initiatedEventId];
  entry.runId = child.runId;
  const started = addExternal(engine, parent, E.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED, 'childWorkflowExecutionStartedEventAttributes', {
    namespace,
    initiatedEventId,
    workflowExecution: { workflowId, runId: child.runId },
    workflowType: { name: workflowType },
    header: a.header ?? undefined,
  });
  // Buffered events get their id later; the child's close event only needs it once written.
  entry.startedEventId = Number(started.eventId) || 0;
  engine.touch(parent);
  scheduleWft(engine, parent);
}

function target(engine: Engine, namespace: string, workflowId: string, runId: string | null | undefined): Execution | undefined {
  try {
    const run = engine.findRun(namespace, { workflowId, runId: runId || undefined });
    return run.open ? run : undefined;
  } catch {
    return undefined;
  }
}

export function signalExternal(engine: Engine, source: Execution, initiatedEventId: number, a: SignalAttrs, identity: string): void {
  if (!source.open) return;
  const namespace = a.namespace || source.state.namespace;
  const workflowId = a.execution?.workflowId ?? '';
  const run = target(engine, namespace, workflowId, a.execution?.runId);
  const childOnly = a.childWorkflowOnly && run && run.state.parent?.runId !== source.runId;
  if (!run || childOnly) {
    addExternal(engine, source, E.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED, 'signalExternalWorkflowExecutionFailedEventAttributes', {
      cause: enums.SignalExternalWorkflowExecutionFailedCause.SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED_CAUSE_EXTERNAL_WORKFLOW_EXECUTION_NOT_FOUND,
      initiatedEventId,
      namespace,
      workflowExecution: a.execution ?? undefined,
      control: a.control ?? '',
    });
  } else {
    signalRun(engine, run, a.signalName ?? '', a.input, a.header, identity);
    addExternal(engine, source, E.EVENT_TYPE_EXTERNAL_WORKFLOW_EXECUTION_SIGNALED, 'externalWorkflowExecutionSignaledEventAttributes', {
      initiatedEventId,
      namespace,
      workflowExecution: { workflowId, runId: run.runId },
      control: a.control ?? '',
    });
  }
  scheduleWft(engine, source);
}

export function cancelExternal(engine: Engine, source: Execution, initiatedEventId: number, a: CancelAttrs, identity: string): void {
  if (!source.open) return;
  const namespace = a.namespace || source.state.namespace;
  const workflowId = a.workflowId ?? '';
  const run = target(engine, namespace, workflowId, a.runId);
  const childOnly = a.childWorkflowOnly && run && run.state.parent?.runId !== source.runId;
  if (!run || childOnly) {
    addExternal(engine, source, E.EVENT_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_FAILED, 'requestCancelExternalWorkflowExecutionFailedEventAttributes', {
      cause: enums.CancelExternalWorkflowExecutionFailedCause.CANCEL_EXTERNAL_WORKFLOW_EXECUTION_FAILED_CAUSE_EXTERNAL_WORKFLOW_EXECUTION_NOT_FOUND,
      initiatedEventId,
      namespace,
      workflowExecution: { workflowId, runId: a.runId ?? '' },
      control: a.control ?? '',
    });
  } else {
    requestCancelRun(engine, run, a.reason ?? '', identity, { initiatedEventId, workflowId: source.state.workflowId, runId: source.runId });
    addExternal(engine, source, E.EVENT_TYPE_EXTERNAL_WORKFLOW_EXECUTION_CANCEL_REQUESTED, 'externalWorkflowExecutionCancelRequestedEventAttributes', {
      initiatedEventId,
      namespace,
      workflowExecution: { workflowId, runId: run.runId },
    });
  }
  scheduleWft(engine, source);
}
