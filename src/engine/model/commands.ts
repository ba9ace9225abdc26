import type { Engine } from '../engine';
import { enums, type Command, type ProtocolMessage } from '../proto';
import { workflowCron } from '../schedule/spec';
import { durationMs } from '../time';
import { bufferedActivityEnd, normalizeActivityTimeouts, requestCancelActivity, scheduleActivity } from './activity';
import { initiateCancelExternal, initiateChild, initiateSignalExternal } from './children';
import { cancelRun, completeRun, continueAsNew, failRun } from './close';
import { nexusCommandChecker, requestCancelNexusOperation, scheduleNexusOperation } from './nexus';
import { recordMarker, upsertMemo, upsertSearchAttributes } from './properties';
import { cancelTimer, startTimer } from './run-timers';
import { startContinuation } from './start';
import type { Execution } from './state';
import { applyMessage } from './updates';

const CommandType = enums.CommandType;
const FailedCause = enums.WorkflowTaskFailedCause;

export interface InvalidCommand {
  cause: number;
  message: string;
}

/**
 * Checks a workflow task's commands before any is applied, as the real server does: one bad
 * command fails the whole task and none of its commands take effect.
 */
export function validateCommands(engine: Engine, run: Execution, commands: Command[]): InvalidCommand | undefined {
  const state = run.state;
  const activityIds = new Set(Object.values(state.activities).map((activity) => activity.activityId));
  const timerIds = new Set(Object.keys(state.timers));
  const bad = (cause: number, message: string): InvalidCommand => ({ cause, message });
  const checkNexus = nexusCommandChecker(engine, run);
  for (const command of commands) {
    switch (Number(command.commandType)) {
      case CommandType.COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK: {
        const attributes = command.scheduleActivityTaskCommandAttributes;
        if (!attributes) return bad(FailedCause.WORKFLOW_TASK_FAILED_CAUSE_BAD_SCHEDULE_ACTIVITY_ATTRIBUTES, 'ScheduleActivityTaskCommandAttributes is not set on command.');
        if (!attributes.activityId) return bad(FailedCause.WORKFLOW_TASK_FAILED_CAUSE_BAD_SCHEDULE_ACTIVITY_ATTRIBUTES, 'ActivityId is not set on command.');
        if (!attributes.activityType?.name) return bad(FailedCause.WORKFLOW_TASK_FAILED_CAUSE_BAD_SCHEDULE_ACTIVITY_ATTRIBUTES, 'ActivityType is not set on command.');
        if (activityIds.has(attributes.activityId))
          return bad(FailedCause.WORKFLOW_TASK_FAILED_CAUSE_SCHEDULE_ACTIVITY_DUPLICATE_ID, `Activity id ${attributes.activityId} is already in use.`);
        const timeouts = normalizeActivityTimeouts(attributes, state.runTimeoutMs);
        if (typeof timeouts === 'string') return bad(FailedCause.WORKFLOW_TASK_FAILED_CAUSE_BAD_SCHEDULE_ACTIVITY_ATTRIBUTES, timeouts);
        activityIds.add(attributes.activityId);
        break;
      }
      case CommandType.COMMAND_TYPE_REQUEST_CANCEL_ACTIVITY_TASK: {
        const id = Number(command.requestCancelActivityTaskCommandAttributes?.scheduledEventId ?? 0);
        // An activity that ended while the task ran (its end event waits in the buffer) may still be
        // cancelled, as with the real server: the request is recorded and the end follows it.
        if (!state.activities[id] && !bufferedActivityEnd(run, id))
          return bad(FailedCause.WORKFLOW_TASK_FAILED_CAUSE_BAD_REQUEST_CANCEL_ACTIVITY_ATTRIBUTES, `Unable to find activity with scheduled event id ${id}.`);
        break;
      }
      case CommandType.COMMAND_TYPE_START_TIMER: {
        const attributes = command.startTimerCommandAttributes;
        if (!attributes?.timerId) return bad(FailedCause.WORKFLOW_TASK_FAILED_CAUSE_BAD_START_TIMER_ATTRIBUTES, 'TimerId is not set on command.');
        if (durationMs(attributes.startToFireTimeout) <= 0)
          return bad(FailedCause.WORKFLOW_TASK_FAILED_CAUSE_BAD_START_TIMER_ATTRIBUTES, 'A valid StartToFireTimeout is not set on command.');
        if (timerIds.has(attributes.timerId)) return bad(FailedCause.WORKFLOW_TASK_FAILED_CAUSE_START_TIMER_DUPLICATE_ID, `Timer id ${attributes.timerId} is already in use.`);
        timerIds.add(attributes.timerId);
        break;
      }
      case CommandType.COMMAND_TYPE_CANCEL_TIMER: {
        const id = command.cancelTimerCommandAttributes?.timerId ?? '';
        if (!timerIds.has(id) && !bufferedTimerFired(run, id)) return bad(FailedCause.WORKFLOW_TASK_FAILED_CAUSE_BAD_CANCEL_TIMER_ATTRIBUTES, `Unable to find timer ${id}.`);
        timerIds.delete(id);
        break;
      }
      case CommandType.COMMAND_TYPE_START_CHILD_WORKFLOW_EXECUTION: {
        const attributes = command.startChildWorkflowExecutionCommandAttributes;
        if (!attributes?.workflowId || !attributes.workflowType?.name)
          return bad(FailedCause.WORKFLOW_TASK_FAILED_CAUSE_BAD_START_CHILD_EXECUTION_ATTRIBUTES, 'WorkflowId and WorkflowType must be set on StartChildWorkflowExecution.');
        if (attributes.searchAttributes) {
          const message = engine.checkSearchAttributes(state.namespace, attributes.searchAttributes.indexedFields);
          if (message) return bad(FailedCause.WORKFLOW_TASK_FAILED_CAUSE_BAD_SEARCH_ATTRIBUTES, message);
        }
        if (attributes.cronSchedule && !validCron(attributes.cronSchedule))
          return bad(FailedCause.WORKFLOW_TASK_FAILED_CAUSE_BAD_START_CHILD_EXECUTION_ATTRIBUTES, 'Invalid CronSchedule.');
        break;
      }
      case CommandType.COMMAND_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION:
        if (!command.signalExternalWorkflowExecutionCommandAttributes?.execution?.workflowId)
          return bad(FailedCause.WORKFLOW_TASK_FAILED_CAUSE_BAD_SIGNAL_WORKFLOW_EXECUTION_ATTRIBUTES, 'Execution is not set on SignalExternalWorkflowExecution.');
        break;
      case CommandType.COMMAND_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION:
        if (!command.requestCancelExternalWorkflowExecutionCommandAttributes?.workflowId)
          return bad(
            FailedCause.WORKFLOW_TASK_FAILED_CAUSE_BAD_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_ATTRIBUTES,
            'WorkflowId is not set on RequestCancelExternalWorkflowExecution.',
          );
        break;
      case CommandType.COMMAND_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES: {
        const message = engine.checkSearchAttributes(state.namespace, command.upsertWorkflowSearchAttributesCommandAttributes?.searchAttributes?.indexedFields);
        if (message) return bad(FailedCause.WORKFLOW_TASK_FAILED_CAUSE_BAD_SEARCH_ATTRIBUTES, message);
        break;
      }
      case CommandType.COMMAND_TYPE_CONTINUE_AS_NEW_WORKFLOW_EXECUTION: {
        const message = engine.checkSearchAttributes(state.namespace, command.continueAsNewWorkflowExecutionCommandAttributes?.searchAttributes?.indexedFields);
        if (message) return bad(FailedCause.WORKFLOW_TASK_FAILED_CAUSE_BAD_SEARCH_ATTRIBUTES, message);
        break;
      }
      case CommandType.COMMAND_TYPE_SCHEDULE_NEXUS_OPERATION:
      case CommandType.COMMAND_TYPE_REQUEST_CANCEL_NEXUS_OPERATION: {
        const wrong = checkNexus(command);
        if (wrong) return wrong;
        break;
      }
      case CommandType.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION:
      case CommandType.COMMAND_TYPE_FAIL_WORKFLOW_EXECUTION:
      case CommandType.COMMAND_TYPE_CANCEL_WORKFLOW_EXECUTION:
      case CommandType.COMMAND_TYPE_RECORD_MARKER:
      case CommandType.COMMAND_TYPE_MODIFY_WORKFLOW_PROPERTIES:
      case CommandType.COMMAND_TYPE_PROTOCOL_MESSAGE:
        break;
      default:
        return bad(
          FailedCause.WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_COMMAND,
          `Command type ${enums.CommandType[command.commandType ?? 0] ?? command.commandType} is not supported by the embedded engine.`,
        );
    }
  }
  return undefined;
}

function validCron(cron: string): boolean {
  try {
    workflowCron(cron);
    return true;
  } catch {
    return false;
  }
}

function bufferedTimerFired(run: Execution, timerId: string): boolean {
  return run.state.buffered.some((buffered) => buffered.event.timerFiredEventAttributes?.timerId === timerId);
}

/** A completed workflow task whose commands are being applied. */
interface CompletedTask {
  engine: Engine;
  run: Execution;
  /** The WorkflowTaskCompleted event: each command's event points back to it. */
  completedEventId: number;
  identity: string;
  /** Cross-workflow effects, run once this task's own events are written. */
  after: (() => void)[];
  /** Protocol messages not applied yet, by id. */
  messages: Map<string, ProtocolMessage>;
  /** Activities the worker asked to run at once (eager dispatch), by scheduled event id. */
  eager: number[];
}

/**
 * Applies validated commands in order, writing their events. Cross-workflow effects (starting
 * children, signalling or cancelling other workflows) go to `after`: they run once this task's
 * own events are written, as the real server's transfer tasks do. Returns the activities to hand
 * straight back to the worker (eager dispatch), by scheduled event id.
 */
export function applyCommands(
  engine: Engine,
  run: Execution,
  commands: Command[],
  messages: ProtocolMessage[],
  wftCompletedId: number,
  identity: string,
  after: (() => void)[],
): number[] {
  // Protocol messages (update acceptances and results) take effect where their command stands;
  // those without one (rejections, which write no event) after all commands.
  const task: CompletedTask = {
    engine,
    run,
    completedEventId: wftCompletedId,
    identity,
    after,
    messages: new Map(messages.map((message) => [message.id ?? '', message])),
    eager: [],
  };
  for (const command of commands) {
    if (!run.open) break;
    applyCommand(task, command);
  }
  for (const message of task.messages.values()) applyMessage(engine, run, message);
  return task.eager;
}

/** One command; validateCommands has turned down every type not listed. */
function applyCommand(task: CompletedTask, command: Command): void {
  const { engine, run, completedEventId, identity, after } = task;
  switch (Number(command.commandType)) {
    case CommandType.COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK:
      return scheduleCommandActivity(task, command);
    case CommandType.COMMAND_TYPE_REQUEST_CANCEL_ACTIVITY_TASK:
      return requestCancelActivity(engine, run, Number(command.requestCancelActivityTaskCommandAttributes?.scheduledEventId ?? 0), completedEventId);
    case CommandType.COMMAND_TYPE_START_TIMER:
      return startTimer(engine, run, command.startTimerCommandAttributes ?? {}, completedEventId, command.userMetadata);
    case CommandType.COMMAND_TYPE_CANCEL_TIMER:
      return cancelTimer(engine, run, command.cancelTimerCommandAttributes?.timerId ?? '', completedEventId, identity);
    case CommandType.COMMAND_TYPE_RECORD_MARKER:
      return recordMarker(engine, run, command.recordMarkerCommandAttributes ?? {}, completedEventId);
    case CommandType.COMMAND_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES:
      return upsertSearchAttributes(engine, run, command.upsertWorkflowSearchAttributesCommandAttributes?.searchAttributes?.indexedFields ?? {}, completedEventId);
    case CommandType.COMMAND_TYPE_MODIFY_WORKFLOW_PROPERTIES:
      return upsertMemo(engine, run, command.modifyWorkflowPropertiesCommandAttributes?.upsertedMemo?.fields ?? {}, completedEventId);
    case CommandType.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION:
      return startContinuation(engine, completeRun(engine, run, command.completeWorkflowExecutionCommandAttributes?.result ?? undefined, completedEventId));
    case CommandType.COMMAND_TYPE_FAIL_WORKFLOW_EXECUTION:
      return startContinuation(engine, failRun(engine, run, command.failWorkflowExecutionCommandAttributes?.failure ?? undefined, completedEventId));
    case CommandType.COMMAND_TYPE_CANCEL_WORKFLOW_EXECUTION:
      return cancelRun(engine, run, command.cancelWorkflowExecutionCommandAttributes?.details ?? undefined, completedEventId);
    case CommandType.COMMAND_TYPE_CONTINUE_AS_NEW_WORKFLOW_EXECUTION:
      return startContinuation(engine, continueAsNew(engine, run, command.continueAsNewWorkflowExecutionCommandAttributes ?? {}, completedEventId));
    case CommandType.COMMAND_TYPE_START_CHILD_WORKFLOW_EXECUTION:
      return initiateChild(engine, run, command.startChildWorkflowExecutionCommandAttributes ?? {}, completedEventId, command.userMetadata, after);
    case CommandType.COMMAND_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION:
      return initiateSignalExternal(engine, run, command.signalExternalWorkflowExecutionCommandAttributes ?? {}, completedEventId, identity, after);
    case CommandType.COMMAND_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION:
      return initiateCancelExternal(engine, run, command.requestCancelExternalWorkflowExecutionCommandAttributes ?? {}, completedEventId, identity, after);
    case CommandType.COMMAND_TYPE_PROTOCOL_MESSAGE:
      return applyMessageById(task, command.protocolMessageCommandAttributes?.messageId ?? '');
    case CommandType.COMMAND_TYPE_SCHEDULE_NEXUS_OPERATION:
      return scheduleNexusOperation(engine, run, command.scheduleNexusOperationCommandAttributes ?? {}, completedEventId, command.userMetadata);
    case CommandType.COMMAND_TYPE_REQUEST_CANCEL_NEXUS_OPERATION:
      return requestCancelNexusOperation(engine, run, Number(command.requestCancelNexusOperationCommandAttributes?.scheduledEventId ?? 0), completedEventId, command.userMetadata);
  }
}

/** The ScheduleActivityTask command; an eager request is noted when the server allows eager dispatch. */
function scheduleCommandActivity(task: CompletedTask, command: Command): void {
  const attributes = command.scheduleActivityTaskCommandAttributes ?? {};
  const act = scheduleActivity(task.engine, task.run, attributes, task.completedEventId, command.userMetadata);
  if (attributes.requestEagerExecution && task.engine.config.activityEagerExecution) task.eager.push(act.scheduledEventId);
}

/** The ProtocolMessage command: the message it names takes effect here. */
function applyMessageById(task: CompletedTask, messageId: string): void {
  const message = task.messages.get(messageId);
  task.messages.delete(messageId);
  if (message) applyMessage(task.engine, task.run, message);
}
