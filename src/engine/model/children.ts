import type { Engine } from '../engine';
import { EngineError } from '../grpc/errors';
import { enums, type Command, type UserMetadata } from '../proto';
import { durationMs } from '../time';
import { addEvent, addExternal } from './events';
import { requestCancelRun, signalRun } from './requests';
import { cronBackoffMs } from '../schedule/spec';
import { createRun, resolveIdConflict } from './start';
import type { Execution } from './state';
import { scheduleWft } from './schedule-workflow-task';

const EventType = enums.EventType;

type ChildAttributes = NonNullable<Command['startChildWorkflowExecutionCommandAttributes']>;
type SignalAttributes = NonNullable<Command['signalExternalWorkflowExecutionCommandAttributes']>;
type CancelAttributes = NonNullable<Command['requestCancelExternalWorkflowExecutionCommandAttributes']>;

/**
 * Child workflows, and signals and cancel requests to other workflows. Each command writes its
 * Initiated event at once and queues its effect on the other workflow in `after`, which runs
 * once the task's own events are written, as the real server's transfer tasks do.
 */

/** The StartChildWorkflowExecution command. */
export function initiateChild(
  engine: Engine,
  run: Execution,
  attributes: ChildAttributes,
  wftCompletedId: number,
  userMetadata: UserMetadata | null | undefined,
  after: (() => void)[],
): void {
  const state = run.state;
  const initiated = addEvent(engine, run, EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED, 'startChildWorkflowExecutionInitiatedEventAttributes', {
    namespace: attributes.namespace || state.namespace,
    workflowId: attributes.workflowId ?? '',
    workflowType: attributes.workflowType ?? undefined,
    taskQueue: { name: attributes.taskQueue?.name || state.taskQueue, kind: enums.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
    input: attributes.input ?? undefined,
    workflowExecutionTimeout: attributes.workflowExecutionTimeout ?? undefined,
    workflowRunTimeout: attributes.workflowRunTimeout ?? undefined,
    workflowTaskTimeout: attributes.workflowTaskTimeout ?? undefined,
    parentClosePolicy: attributes.parentClosePolicy ?? 0,
    control: attributes.control ?? '',
    workflowTaskCompletedEventId: wftCompletedId,
    workflowIdReusePolicy: attributes.workflowIdReusePolicy ?? 0,
    retryPolicy: attributes.retryPolicy ?? undefined,
    cronSchedule: attributes.cronSchedule ?? '',
    header: attributes.header ?? undefined,
    memo: attributes.memo ?? undefined,
    searchAttributes: attributes.searchAttributes ? { indexedFields: engine.typedSearchAttributes(state.namespace, attributes.searchAttributes.indexedFields) } : undefined,
    priority: attributes.priority ?? undefined,
  });
  if (userMetadata) initiated.userMetadata = userMetadata;
  const initiatedEventId = Number(initiated.eventId);
  state.children[initiatedEventId] = {
    initiatedEventId,
    namespace: attributes.namespace || state.namespace,
    workflowId: attributes.workflowId ?? '',
    workflowType: attributes.workflowType?.name ?? '',
    parentClosePolicy: attributes.parentClosePolicy || enums.ParentClosePolicy.PARENT_CLOSE_POLICY_TERMINATE,
  };
  after.push(() => startChild(engine, run, initiatedEventId, attributes, userMetadata));
}

/** The SignalExternalWorkflowExecution command. */
export function initiateSignalExternal(engine: Engine, run: Execution, attributes: SignalAttributes, wftCompletedId: number, identity: string, after: (() => void)[]): void {
  const initiated = addEvent(engine, run, EventType.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED, 'signalExternalWorkflowExecutionInitiatedEventAttributes', {
    workflowTaskCompletedEventId: wftCompletedId,
    namespace: attributes.namespace || run.state.namespace,
    workflowExecution: attributes.execution ?? undefined,
    signalName: attributes.signalName ?? '',
    input: attributes.input ?? undefined,
    control: attributes.control ?? '',
    childWorkflowOnly: attributes.childWorkflowOnly ?? false,
    header: attributes.header ?? undefined,
  });
  const initiatedEventId = Number(initiated.eventId);
  after.push(() => signalExternal(engine, run, initiatedEventId, attributes, identity));
}

/** The RequestCancelExternalWorkflowExecution command. */
export function initiateCancelExternal(engine: Engine, run: Execution, attributes: CancelAttributes, wftCompletedId: number, identity: string, after: (() => void)[]): void {
  const initiated = addEvent(
    engine,
    run,
    EventType.EVENT_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED,
    'requestCancelExternalWorkflowExecutionInitiatedEventAttributes',
    {
      workflowTaskCompletedEventId: wftCompletedId,
      namespace: attributes.namespace || run.state.namespace,
      workflowExecution: { workflowId: attributes.workflowId ?? '', runId: attributes.runId ?? '' },
      control: attributes.control ?? '',
      childWorkflowOnly: attributes.childWorkflowOnly ?? false,
      reason: attributes.reason ?? '',
    },
  );
  const initiatedEventId = Number(initiated.eventId);
  after.push(() => cancelExternal(engine, run, initiatedEventId, attributes, identity));
}

/** Starts a child initiated by `parent`; the parent learns the outcome as ChildWorkflowExecutionStarted or StartChildWorkflowExecutionFailed. */
function startChild(engine: Engine, parent: Execution, initiatedEventId: number, attributes: ChildAttributes, userMetadata: UserMetadata | null | undefined): void {
  if (!parent.open) return;
  const parentState = parent.state;
  const namespace = attributes.namespace || parentState.namespace;
  const workflowId = attributes.workflowId ?? '';
  const workflowType = attributes.workflowType?.name ?? '';
  const failed = (cause: number): void => {
    delete parentState.children[initiatedEventId];
    addExternal(engine, parent, EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_FAILED, 'startChildWorkflowExecutionFailedEventAttributes', {
      namespace,
      workflowId,
      workflowType: { name: workflowType },
      cause,
      control: attributes.control ?? '',
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
      reuse: attributes.workflowIdReusePolicy ?? 0,
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
    taskQueue: attributes.taskQueue?.name || parentState.taskQueue,
    input: attributes.input,
    header: attributes.header,
    memo: attributes.memo?.fields,
    searchAttributes: attributes.searchAttributes?.indexedFields,
    executionTimeoutMs: durationMs(attributes.workflowExecutionTimeout),
    runTimeoutMs: durationMs(attributes.workflowRunTimeout),
    taskTimeoutMs: durationMs(attributes.workflowTaskTimeout),
    retryPolicy: attributes.retryPolicy,
    identity: '',
    requestId,
    parent: { namespace: parentState.namespace, workflowId: parentState.workflowId, runId: parentState.runId, initiatedEventId },
    root: parentState.root ?? { workflowId: parentState.workflowId, runId: parentState.runId },
    // A pinned parent's child starts on the parent's version when that version polls its queue.
    pinnedFrom: parent,
    userMetadata,
    priority: attributes.priority,
    // A cron child's first run waits for its schedule's first time (validateCommands checked the schedule).
    cronSchedule: attributes.cronSchedule || undefined,
    startDelayMs: attributes.cronSchedule ? cronBackoffMs(attributes.cronSchedule, engine.now()) : 0,
  });
  const entry = parentState.children[initiatedEventId];
  entry.runId = child.runId;
  const started = addExternal(engine, parent, EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED, 'childWorkflowExecutionStartedEventAttributes', {
    namespace,
    initiatedEventId,
    workflowExecution: { workflowId, runId: child.runId },
    workflowType: { name: workflowType },
    header: attributes.header ?? undefined,
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

function signalExternal(engine: Engine, source: Execution, initiatedEventId: number, attributes: SignalAttributes, identity: string): void {
  if (!source.open) return;
  const namespace = attributes.namespace || source.state.namespace;
  const workflowId = attributes.execution?.workflowId ?? '';
  const run = target(engine, namespace, workflowId, attributes.execution?.runId);
  const childOnly = attributes.childWorkflowOnly && run && run.state.parent?.runId !== source.runId;
  if (!run || childOnly) {
    addExternal(engine, source, EventType.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED, 'signalExternalWorkflowExecutionFailedEventAttributes', {
      cause: enums.SignalExternalWorkflowExecutionFailedCause.SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED_CAUSE_EXTERNAL_WORKFLOW_EXECUTION_NOT_FOUND,
      initiatedEventId,
      namespace,
      workflowExecution: attributes.execution ?? undefined,
      control: attributes.control ?? '',
    });
  } else {
    signalRun(engine, run, attributes.signalName ?? '', attributes.input, attributes.header, identity);
    addExternal(engine, source, EventType.EVENT_TYPE_EXTERNAL_WORKFLOW_EXECUTION_SIGNALED, 'externalWorkflowExecutionSignaledEventAttributes', {
      initiatedEventId,
      namespace,
      workflowExecution: { workflowId, runId: run.runId },
      control: attributes.control ?? '',
    });
  }
  scheduleWft(engine, source);
}

function cancelExternal(engine: Engine, source: Execution, initiatedEventId: number, attributes: CancelAttributes, identity: string): void {
  if (!source.open) return;
  const namespace = attributes.namespace || source.state.namespace;
  const workflowId = attributes.workflowId ?? '';
  const run = target(engine, namespace, workflowId, attributes.runId);
  const childOnly = attributes.childWorkflowOnly && run && run.state.parent?.runId !== source.runId;
  if (!run || childOnly) {
    addExternal(engine, source, EventType.EVENT_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_FAILED, 'requestCancelExternalWorkflowExecutionFailedEventAttributes', {
      cause: enums.CancelExternalWorkflowExecutionFailedCause.CANCEL_EXTERNAL_WORKFLOW_EXECUTION_FAILED_CAUSE_EXTERNAL_WORKFLOW_EXECUTION_NOT_FOUND,
      initiatedEventId,
      namespace,
      workflowExecution: { workflowId, runId: attributes.runId ?? '' },
      control: attributes.control ?? '',
    });
  } else {
    requestCancelRun(engine, run, attributes.reason ?? '', identity, { initiatedEventId, workflowId: source.state.workflowId, runId: source.runId });
    addExternal(engine, source, EventType.EVENT_TYPE_EXTERNAL_WORKFLOW_EXECUTION_CANCEL_REQUESTED, 'externalWorkflowExecutionCancelRequestedEventAttributes', {
      initiatedEventId,
      namespace,
      workflowExecution: { workflowId, runId: run.runId },
    });
  }
  scheduleWft(engine, source);
}
