import type { Engine } from '../engine';
import { enums, type Header, type Payloads } from '../proto';
import { addExternal } from './events';
import type { Execution } from './state';
import { scheduleWft } from './schedule-workflow-task';

const EventType = enums.EventType;

export function signalRun(engine: Engine, run: Execution, name: string, input: Payloads | null | undefined, header: Header | null | undefined, identity: string): void {
  addExternal(engine, run, EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED, 'workflowExecutionSignaledEventAttributes', {
    signalName: name,
    input: input ?? undefined,
    identity,
    header: header ?? undefined,
  });
  scheduleWft(engine, run);
}

export function requestCancelRun(
  engine: Engine,
  run: Execution,
  reason: string,
  identity: string,
  external?: { initiatedEventId: number; workflowId: string; runId: string },
): void {
  if (run.state.cancelRequested) return;
  run.state.cancelRequested = true;
  addExternal(engine, run, EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED, 'workflowExecutionCancelRequestedEventAttributes', {
    cause: reason,
    identity,
    externalInitiatedEventId: external?.initiatedEventId,
    externalWorkflowExecution: external ? { workflowId: external.workflowId, runId: external.runId } : undefined,
  });
  scheduleWft(engine, run);
}
