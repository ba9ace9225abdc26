import type { Engine } from '../engine';
import { sizeOf } from '../dynamic-config';
import { enums, protoRoot, type Command, type Payload, type Payloads, type ProtocolMessage } from '../proto';
import type { Execution } from './state';

/**
 * The real server's size limits on what a completed workflow task writes. A payload over the
 * blob limit (or a memo over the memo limit) fails the task with the command's cause and
 * terminates the workflow: retrying the task would only produce the same payload again.
 */

const CommandType = enums.CommandType;
const Cause = enums.WorkflowTaskFailedCause;
const MemoType = protoRoot.lookupType('temporal.api.common.v1.Memo');

export interface Oversized {
  cause: number;
  message: string;
}

const memoSize = (fields: Record<string, Payload> | null | undefined): number => (fields ? MemoType.encode({ fields }).len : 0);
const markerSize = (details: Record<string, Payloads> | null | undefined): number =>
  Object.entries(details ?? {}).reduce((sum, [key, payloads]) => sum + key.length + sizeOf.payloads(payloads), 0);

/** The first command or message over a limit, with the cause and message the real server gives it. */
export function oversized(engine: Engine, run: Execution, commands: Command[], messages: ProtocolMessage[]): Oversized | undefined {
  const { blobSizeError, memoSizeError } = engine.config;
  const over = (size: number, limit: number, cause: number, message: string): Oversized | undefined => (size > limit ? { cause, message } : undefined);
  for (const command of commands) {
    const found = check(command);
    if (found) return found;
  }
  for (const message of messages) {
    const body = message.body as { type_url?: string; value?: Uint8Array } | null | undefined;
    const type = body?.type_url?.split('/').pop() ?? '';
    const found = over(body?.value?.length ?? 0, blobSizeError, Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_UPDATE_WORKFLOW_EXECUTION_MESSAGE, `Message type ${type} exceeds size limit.`);
    if (found) return found;
  }
  return undefined;

  function check(command: Command): Oversized | undefined {
    switch (Number(command.commandType)) {
      case CommandType.COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK:
        return over(
          sizeOf.payloads(command.scheduleActivityTaskCommandAttributes?.input),
          blobSizeError,
          Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_SCHEDULE_ACTIVITY_ATTRIBUTES,
          'ScheduleActivityTaskCommandAttributes.Input exceeds size limit.',
        );
      case CommandType.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION:
        // The real server's cause for an oversized result, however odd it reads.
        return over(
          sizeOf.payloads(command.completeWorkflowExecutionCommandAttributes?.result),
          blobSizeError,
          Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_SCHEDULE_ACTIVITY_ATTRIBUTES,
          'CompleteWorkflowExecutionCommandAttributes.Result exceeds size limit.',
        );
      case CommandType.COMMAND_TYPE_FAIL_WORKFLOW_EXECUTION:
        return over(
          sizeOf.failure(command.failWorkflowExecutionCommandAttributes?.failure),
          blobSizeError,
          Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_FAIL_WORKFLOW_EXECUTION_ATTRIBUTES,
          'FailWorkflowExecutionCommandAttributes.Failure exceeds size limit.',
        );
      case CommandType.COMMAND_TYPE_RECORD_MARKER:
        return over(
          markerSize(command.recordMarkerCommandAttributes?.details),
          blobSizeError,
          Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_RECORD_MARKER_ATTRIBUTES,
          'RecordMarkerCommandAttributes.Details exceeds size limit.',
        );
      case CommandType.COMMAND_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION:
        return over(
          sizeOf.payloads(command.signalExternalWorkflowExecutionCommandAttributes?.input),
          blobSizeError,
          Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_SIGNAL_WORKFLOW_EXECUTION_ATTRIBUTES,
          'SignalExternalWorkflowExecutionCommandAttributes.Input exceeds size limit.',
        );
      case CommandType.COMMAND_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES:
        return over(
          sizeOf.fields(command.upsertWorkflowSearchAttributesCommandAttributes?.searchAttributes?.indexedFields),
          blobSizeError,
          Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_SEARCH_ATTRIBUTES,
          'UpsertWorkflowSearchAttributesCommandAttributes exceeds size limit.',
        );
      case CommandType.COMMAND_TYPE_MODIFY_WORKFLOW_PROPERTIES: {
        const fields = command.modifyWorkflowPropertiesCommandAttributes?.upsertedMemo?.fields;
        const cause = Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_MODIFY_WORKFLOW_PROPERTIES_ATTRIBUTES;
        return (
          over(sizeOf.fields(fields), blobSizeError, cause, 'ModifyWorkflowPropertiesCommandAttributes exceeds size limit.') ??
          over(memoSize({ ...run.state.memo, ...fields }), memoSizeError, cause, 'ModifyWorkflowPropertiesCommandAttributes. Memo exceeds size limit.')
        );
      }
      case CommandType.COMMAND_TYPE_CONTINUE_AS_NEW_WORKFLOW_EXECUTION: {
        const attributes = command.continueAsNewWorkflowExecutionCommandAttributes;
        const cause = Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_CONTINUE_AS_NEW_ATTRIBUTES;
        return (
          over(sizeOf.payloads(attributes?.input), blobSizeError, cause, 'ContinueAsNewWorkflowExecutionCommandAttributes. Input exceeds size limit.') ??
          over(memoSize(attributes?.memo?.fields), memoSizeError, cause, 'ContinueAsNewWorkflowExecutionCommandAttributes. Memo exceeds size limit.')
        );
      }
      case CommandType.COMMAND_TYPE_START_CHILD_WORKFLOW_EXECUTION: {
        const attributes = command.startChildWorkflowExecutionCommandAttributes;
        const cause = Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_START_CHILD_EXECUTION_ATTRIBUTES;
        return (
          over(sizeOf.payloads(attributes?.input), blobSizeError, cause, 'StartChildWorkflowExecutionCommandAttributes. Input exceeds size limit.') ??
          over(memoSize(attributes?.memo?.fields), memoSizeError, cause, 'StartChildWorkflowExecutionCommandAttributes.Memo exceeds size limit.')
        );
      }
      case CommandType.COMMAND_TYPE_SCHEDULE_NEXUS_OPERATION: {
        const input = command.scheduleNexusOperationCommandAttributes?.input;
        return over(
          input ? sizeOf.payloads({ payloads: [input] }) : 0,
          blobSizeError,
          Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_SCHEDULE_NEXUS_OPERATION_ATTRIBUTES,
          'ScheduleNexusOperationCommandAttributes.Input exceeds size limit',
        );
      }
      default:
        return undefined;
    }
  }
}
