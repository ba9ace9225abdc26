import type { Engine } from '../engine';
import { enums, type Command, type Payload, type ProtocolMessage } from '../proto';
import { durationMs } from '../time';
import { normalizeActivityTimeouts, requestCancelActivity, scheduleActivity } from './activity';
import { startChild, cancelExternal, signalExternal } from './children';
import { addEvent } from './events';
import { closeRun, continueAsNew, failRun } from './close';
import { armUserTimer, clearUserTimer } from './run-timers';
import { mergeFields } from './payloads';
import { createRun, startContinuation } from './start';
import type { Execution } from './state';
import { applyMessage } from './updates';

const C = enums.CommandType;
const E = enums.EventType;
const CAUSE = enums.WorkflowTaskFailedCause;
const S = enums.WorkflowExecutionStatus;

export interface InvalidCommand {
  cause: number;
  message: string;
}

/**
 * Checks a workflow task's commands before any is applied, as the real server does: one bad
 * command fails the whole task and none of its commands take effect.
 */
export function validateCommands(engine: Engine, run: Execution, commands: Command[]): InvalidCommand | undefined {
  const s = run.state;
  const activityIds = new Set(Object.values(s.activities).map((a) => a.activityId));
  const timerIds = new Set(Object.keys(s.timers));
  const bad = (cause: number, message: string): InvalidCommand => ({ cause, message });
  for (const c of commands) {
    switch (Number(c.commandType)) {
      case C.COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK: {
        const a = c.scheduleActivityTaskCommandAttributes;
        if (!a) return bad(CAUSE.WORKFLOW_TASK_FAILED_CAUSE_BAD_SCHEDULE_ACTIVITY_ATTRIBUTES, 'ScheduleActivityTaskCommandAttributes is not set on command.');
        if (!a.activityId) return bad(CAUSE.WORKFLOW_TASK_FAILED_CAUSE_BAD_SCHEDULE_ACTIVITY_ATTRIBUTES, 'ActivityId is not set on command.');
        if (!a.activityType?.name) return bad(CAUSE.WORKFLOW_TASK_FAILED_CAUSE_BAD_SCHEDULE_ACTIVITY_ATTRIBUTES, 'ActivityType is not set on command.');
        if (activityIds.has(a.activityId)) return bad(CAUSE.WORKFLOW_TASK_FAILED_CAUSE_SCHEDULE_ACTIVITY_DUPLICATE_ID, `Activity id ${a.activityId} is already in use.`);
        const t = normalizeActivityTimeouts(a, s.runTimeoutMs);
        if (typeof t === 'string') return bad(CAUSE.WORKFLOW_TASK_FAILED_CAUSE_BAD_SCHEDULE_ACTIVITY_ATTRIBUTES, t);
        activityIds.add(a.activityId);
        break;
      }
      case C.COMMAND_TYPE_REQUEST_CANCEL_ACTIVITY_TASK: {
        const id = Number(c.requestCancelActivityTaskCommandAttributes?.scheduledEventId ?? 0);
        if (!s.activities[id]) return bad(CAUSE.WORKFLOW_TASK_FAILED_CAUSE_BAD_REQUEST_CANCEL_ACTIVITY_ATTRIBUTES, `Unable to find activity with scheduled event id ${id}.`);
        break;
      }
      case C.COMMAND_TYPE_START_TIMER: {
        const a = c.startTimerCommandAttributes;
        if (!a?.timerId) return bad(CAUSE.WORKFLOW_TASK_FAILED_CAUSE_BAD_START_TIMER_ATTRIBUTES, 'TimerId is not set on command.');
        if (durationMs(a.startToFireTimeout) <= 0) return bad(CAUSE.WORKFLOW_TASK_FAILED_CAUSE_BAD_START_TIMER_ATTRIBUTES, 'A valid StartToFireTimeout is not set on command.');
        if (timerIds.has(a.timerId)) return bad(CAUSE.WORKFLOW_TASK_FAILED_CAUSE_START_TIMER_DUPLICATE_ID, `Timer id ${a.timerId} is already in use.`);
        timerIds.add(a.timerId);
        break;
      }
      case C.COMMAND_TYPE_CANCEL_TIMER: {
        const id = c.cancelTimerCommandAttributes?.timerId ?? '';
        if (!timerIds.has(id) && !bufferedTimerFired(run, id)) return bad(CAUSE.WORKFLOW_TASK_FAILED_CAUSE_BAD_CANCEL_TIMER_ATTRIBUTES, `Unable to find timer ${id}.`);
        timerIds.delete(id);
        break;
      }
      case C.COMMAND_TYPE_START_CHILD_WORKFLOW_EXECUTION: {
        const a = c.startChildWorkflowExecutionCommandAttributes;
        if (!a?.workflowId || !a.workflowType?.name) return bad(CAUSE.WORKFLOW_TASK_FAILED_CAUSE_BAD_START_CHILD_EXECUTION_ATTRIBUTES, 'WorkflowId and WorkflowType must be set on StartChildWorkflowExecution.');
        if (a.searchAttributes) {
          const msg = engine.checkSearchAttributes(s.namespace, a.searchAttributes.indexedFields);
          if (msg) return bad(CAUSE.WORKFLOW_TASK_FAILED_CAUSE_BAD_SEARCH_ATTRIBUTES, msg);
        }
        break;
      }
      case C.COMMAND_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION:
        if (!c.signalExternalWorkflowExecutionCommandAttributes?.execution?.workflowId) return bad(CAUSE.WORKFLOW_TASK_FAILED_CAUSE_BAD_SIGNAL_WORKFLOW_EXECUTION_ATTRIBUTES, 'Execution is not set on SignalExternalWorkflowExecution.');
        break;
      case C.COMMAND_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION:
        if (!c.requestCancelExternalWorkflowExecutionCommandAttributes?.workflowId) return bad(CAUSE.WORKFLOW_TASK_FAILED_CAUSE_BAD_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_ATTRIBUTES, 'WorkflowId is not set on RequestCancelExternalWorkflowExecution.');
        break;
      case C.COMMAND_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES: {
        const msg = engine.checkSearchAttributes(s.namespace, c.upsertWorkflowSearchAttributesCommandAttributes?.searchAttributes?.indexedFields);
        if (msg) return bad(CAUSE.WORKFLOW_TASK_FAILED_CAUSE_BAD_SEARCH_ATTRIBUTES, msg);
        break;
      }
      case C.COMMAND_TYPE_CONTINUE_AS_NEW_WORKFLOW_EXECUTION: {
        const msg = engine.checkSearchAttributes(s.namespace, c.continueAsNewWorkflowExecutionCommandAttributes?.searchAttributes?.indexedFields);
        if (msg) return bad(CAUSE.WORKFLOW_TASK_FAILED_CAUSE_BAD_SEARCH_ATTRIBUTES, msg);
        break;
      }
      case C.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION:
      case C.COMMAND_TYPE_FAIL_WORKFLOW_EXECUTION:
      case C.COMMAND_TYPE_CANCEL_WORKFLOW_EXECUTION:
      case C.COMMAND_TYPE_RECORD_MARKER:
      case C.COMMAND_TYPE_MODIFY_WORKFLOW_PROPERTIES:
      case C.COMMAND_TYPE_PROTOCOL_MESSAGE:
        break;
      default:
        return bad(CAUSE.WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_COMMAND, `Command type ${enums.CommandType[c.commandType ?? 0] ?? c.commandType} is not supported by the embedded engine.`);
    }
  }
  return undefined;
}

function bufferedTimerFired(run: Execution, timerId: string): boolean {
  return run.state.buffered.some((b) => b.event.timerFiredEventAttributes?.timerId === timerId);
}

/**
 * Applies validated commands in order, writing their events. Cross-workflow effects (starting
 * children, signalling or cancelling other workflows) go to `after`: they run once this task's
 * own events are written, as the real server's transfer tasks do.
 */
export function applyCommands(
  engine: Engine,
  run: Execution,
  commands: Command[],
  messages: ProtocolMessage[],
  wftCompletedId: number,
  identity: string,
  after: (() => void)[],
): void {
  const s = run.state;
  // Protocol messages (update acceptances and results) take effect where their command stands;
  // those without one (rejections, which write no event) after all commands.
  const pending = new Map(messages.map((m) => [m.id ?? '', m]));
  for (const c of commands) {
    if (!run.open) break;
    switch (Number(c.commandType)) {
      case C.COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK:
        scheduleActivity(engine, run, c.scheduleActivityTaskCommandAttributes ?? {}, wftCompletedId, c.userMetadata);
        break;
      case C.COMMAND_TYPE_REQUEST_CANCEL_ACTIVITY_TASK:
        requestCancelActivity(engine, run, Number(c.requestCancelActivityTaskCommandAttributes?.scheduledEventId ?? 0), wftCompletedId);
        break;
      case C.COMMAND_TYPE_START_TIMER: {
        const a = c.startTimerCommandAttributes ?? {};
        const timerId = a.timerId ?? '';
        const ev = addEvent(engine, run, E.EVENT_TYPE_TIMER_STARTED, 'timerStartedEventAttributes', {
          timerId,
          startToFireTimeout: a.startToFireTimeout ?? undefined,
          workflowTaskCompletedEventId: wftCompletedId,
        });
        if (c.userMetadata) ev.userMetadata = c.userMetadata;
        s.timers[timerId] = { timerId, startedEventId: Number(ev.eventId), due: engine.now() + durationMs(a.startToFireTimeout) };
        armUserTimer(engine, run, timerId);
        break;
      }
      case C.COMMAND_TYPE_CANCEL_TIMER: {
        const timerId = c.cancelTimerCommandAttributes?.timerId ?? '';
        let startedEventId = s.timers[timerId]?.startedEventId;
        if (startedEventId === undefined) {
          // It fired while the task ran: the cancel wins and the buffered TimerFired is dropped.
          const i = s.buffered.findIndex((b) => b.event.timerFiredEventAttributes?.timerId === timerId);
          startedEventId = Number(s.buffered[i]?.event.timerFiredEventAttributes?.startedEventId ?? 0);
          if (i >= 0) s.buffered.splice(i, 1);
        }
        delete s.timers[timerId];
        clearUserTimer(engine, run, timerId);
        addEvent(engine, run, E.EVENT_TYPE_TIMER_CANCELED, 'timerCanceledEventAttributes', {
          timerId,
          startedEventId,
          workflowTaskCompletedEventId: wftCompletedId,
          identity,
        });
        break;
      }
      case C.COMMAND_TYPE_RECORD_MARKER: {
        const a = c.recordMarkerCommandAttributes ?? {};
        addEvent(engine, run, E.EVENT_TYPE_MARKER_RECORDED, 'markerRecordedEventAttributes', {
          markerName: a.markerName ?? '',
          details: a.details ?? undefined,
          header: a.header ?? undefined,
          failure: a.failure ?? undefined,
          workflowTaskCompletedEventId: wftCompletedId,
        });
        break;
      }
      case C.COMMAND_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES: {
        const fields = c.upsertWorkflowSearchAttributesCommandAttributes?.searchAttributes?.indexedFields ?? {};
        addEvent(engine, run, E.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES, 'upsertWorkflowSearchAttributesEventAttributes', {
          workflowTaskCompletedEventId: wftCompletedId,
          searchAttributes: { indexedFields: fields },
        });
        mergeFields(s.searchAttributes, fields);
        break;
      }
      case C.COMMAND_TYPE_MODIFY_WORKFLOW_PROPERTIES: {
        const fields: Record<string, Payload> = c.modifyWorkflowPropertiesCommandAttributes?.upsertedMemo?.fields ?? {};
        addEvent(engine, run, E.EVENT_TYPE_WORKFLOW_PROPERTIES_MODIFIED, 'workflowPropertiesModifiedEventAttributes', {
          workflowTaskCompletedEventId: wftCompletedId,
          upsertedMemo: { fields },
        });
        mergeFields(s.memo, fields);
        break;
      }
      case C.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION:
        closeRun(engine, run, S.WORKFLOW_EXECUTION_STATUS_COMPLETED, E.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED, 'workflowExecutionCompletedEventAttributes', {
          result: c.completeWorkflowExecutionCommandAttributes?.result ?? undefined,
          workflowTaskCompletedEventId: wftCompletedId,
        });
        break;
      case C.COMMAND_TYPE_FAIL_WORKFLOW_EXECUTION:
        startContinuation(engine, failRun(engine, run, c.failWorkflowExecutionCommandAttributes?.failure ?? undefined, wftCompletedId));
        break;
      case C.COMMAND_TYPE_CANCEL_WORKFLOW_EXECUTION:
        closeRun(engine, run, S.WORKFLOW_EXECUTION_STATUS_CANCELED, E.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED, 'workflowExecutionCanceledEventAttributes', {
          details: c.cancelWorkflowExecutionCommandAttributes?.details ?? undefined,
          workflowTaskCompletedEventId: wftCompletedId,
        });
        break;
      case C.COMMAND_TYPE_CONTINUE_AS_NEW_WORKFLOW_EXECUTION:
        createRun(engine, continueAsNew(engine, run, c.continueAsNewWorkflowExecutionCommandAttributes ?? {}, wftCompletedId));
        break;
      case C.COMMAND_TYPE_START_CHILD_WORKFLOW_EXECUTION: {
        const a = c.startChildWorkflowExecutionCommandAttributes ?? {};
        const ev = addEvent(engine, run, E.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED, 'startChildWorkflowExecutionInitiatedEventAttributes', {
          namespace: a.namespace || s.namespace,
          workflowId: a.workflowId ?? '',
          workflowType: a.workflowType ?? undefined,
          taskQueue: { name: a.taskQueue?.name || s.taskQueue, kind: enums.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
          input: a.input ?? undefined,
          workflowExecutionTimeout: a.workflowExecutionTimeout ?? undefined,
          workflowRunTimeout: a.workflowRunTimeout ?? undefined,
          workflowTaskTimeout: a.workflowTaskTimeout ?? undefined,
          parentClosePolicy: a.parentClosePolicy ?? 0,
          control: a.control ?? '',
          workflowTaskCompletedEventId: wftCompletedId,
          workflowIdReusePolicy: a.workflowIdReusePolicy ?? 0,
          retryPolicy: a.retryPolicy ?? undefined,
          cronSchedule: a.cronSchedule ?? '',
          header: a.header ?? undefined,
          memo: a.memo ?? undefined,
          searchAttributes: a.searchAttributes ?? undefined,
          priority: a.priority ?? undefined,
        });
        if (c.userMetadata) ev.userMetadata = c.userMetadata;
        const initiatedEventId = Number(ev.eventId);
        s.children[initiatedEventId] = {
          initiatedEventId,
          namespace: a.namespace || s.namespace,
          workflowId: a.workflowId ?? '',
          workflowType: a.workflowType?.name ?? '',
          parentClosePolicy: a.parentClosePolicy || enums.ParentClosePolicy.PARENT_CLOSE_POLICY_TERMINATE,
        };
        after.push(() => startChild(engine, run, initiatedEventId, a, c.userMetadata));
        break;
      }
      case C.COMMAND_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION: {
        const a = c.signalExternalWorkflowExecutionCommandAttributes ?? {};
        const ev = addEvent(engine, run, E.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED, 'signalExternalWorkflowExecutionInitiatedEventAttributes', {
          workflowTaskCompletedEventId: wftCompletedId,
          namespace: a.namespace || s.namespace,
          workflowExecution: a.execution ?? undefined,
          signalName: a.signalName ?? '',
          input: a.input ?? undefined,
          control: a.control ?? '',
          childWorkflowOnly: a.childWorkflowOnly ?? false,
          header: a.header ?? undefined,
        });
        const id = Number(ev.eventId);
        after.push(() => signalExternal(engine, run, id, a, identity));
        break;
      }
      case C.COMMAND_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION: {
        const a = c.requestCancelExternalWorkflowExecutionCommandAttributes ?? {};
        const ev = addEvent(engine, run, E.EVENT_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED, 'requestCancelExternalWorkflowExecutionInitiatedEventAttributes', {
          workflowTaskCompletedEventId: wftCompletedId,
          namespace: a.namespace || s.namespace,
          workflowExecution: { workflowId: a.workflowId ?? '', runId: a.runId ?? '' },
          control: a.control ?? '',
          childWorkflowOnly: a.childWorkflowOnly ?? false,
          reason: a.reason ?? '',
        });
        const id = Number(ev.eventId);
        after.push(() => cancelExternal(engine, run, id, a, identity));
        break;
      }
      case C.COMMAND_TYPE_PROTOCOL_MESSAGE: {
        const id = c.protocolMessageCommandAttributes?.messageId ?? '';
        const m = pending.get(id);
        pending.delete(id);
        if (m) applyMessage(engine, run, m);
        break;
      }
      default:
        break;
    }
  }
  for (const m of pending.values()) applyMessage(engine, run, m);
}
