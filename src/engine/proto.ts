/**
 * Temporal API message types as the engine handles them. Requests are decoded with protobufjs
 * and turned into plain objects (64-bit integers as numbers, bytes as Uint8Array), so handlers
 * and the journal work with one simple shape; `Plain<T>` derives those types from the
 * generated `@temporalio/proto` declarations.
 */
import type { Root } from 'protobufjs';
import { google, temporal } from '@temporalio/proto';

// The JSON root carries every service (WorkflowService, OperatorService, TestService, Health)
// as reflection objects; it ships without type declarations, hence the plain require.
// eslint-disable-next-line @typescript-eslint/no-require-imports
export const protoRoot = require('@temporalio/proto/protos/json-module.js') as Root;

interface LongLike {
  low: number;
  high: number;
  unsigned: boolean;
}

/** A generated message type with Long replaced by number, recursively. */
export type Plain<T> = T extends LongLike
  ? number
  : T extends Uint8Array
    ? Uint8Array
    : T extends readonly (infer U)[]
      ? Plain<U>[]
      : T extends object
        ? { -readonly [K in keyof T]: Plain<T[K]> }
        : T;

export { temporal };

type Numeric<T> = { readonly [K in keyof T]: T[K] extends number ? number : T[K] };
type EnumNamespace = typeof temporal.api.enums.v1;
/**
 * The API's enums with members typed as plain numbers: the engine reads enum values from the
 * wire as numbers and compares them to these.
 */
export const enums: { [K in keyof EnumNamespace]: Numeric<EnumNamespace[K]> } = temporal.api.enums.v1;
export type EventType = number;
export type WorkflowExecutionStatus = number;

export type HistoryEvent = Plain<temporal.api.history.v1.HistoryEvent.$Properties>;
export type Payload = Plain<temporal.api.common.v1.Payload.$Properties>;
export type Payloads = Plain<temporal.api.common.v1.Payloads.$Properties>;
export type Header = Plain<temporal.api.common.v1.Header.$Properties>;
export type RetryPolicy = Plain<temporal.api.common.v1.RetryPolicy.$Properties>;
export type Failure = Plain<temporal.api.failure.v1.Failure.$Properties>;
export type Timestamp = Plain<google.protobuf.Timestamp.$Properties>;
export type Duration = Plain<google.protobuf.Duration.$Properties>;
export type WorkflowExecution = Plain<temporal.api.common.v1.WorkflowExecution.$Properties>;
export type Priority = Plain<temporal.api.common.v1.Priority.$Properties>;
export type UserMetadata = Plain<temporal.api.sdk.v1.UserMetadata.$Properties>;
export type UpdateRequest = Plain<temporal.api.update.v1.Request.$Properties>;
export type UpdateOutcome = Plain<temporal.api.update.v1.Outcome.$Properties>;
export type ProtocolMessage = Plain<temporal.api.protocol.v1.Message.$Properties>;
export type Command = Plain<temporal.api.command.v1.Command.$Properties>;
export type WorkflowExecutionInfo = Plain<temporal.api.workflow.v1.WorkflowExecutionInfo.$Properties>;

import W = temporal.api.workflowservice.v1;
export type PollWftReq = Plain<W.PollWorkflowTaskQueueRequest.$Properties>;
export type PollWftRes = Plain<W.PollWorkflowTaskQueueResponse.$Properties>;
export type PollActReq = Plain<W.PollActivityTaskQueueRequest.$Properties>;
export type PollActRes = Plain<W.PollActivityTaskQueueResponse.$Properties>;
export type WftCompletedReq = Plain<W.RespondWorkflowTaskCompletedRequest.$Properties>;
export type WftFailedReq = Plain<W.RespondWorkflowTaskFailedRequest.$Properties>;
export type StartReq = Plain<W.StartWorkflowExecutionRequest.$Properties>;
export type SignalWithStartReq = Plain<W.SignalWithStartWorkflowExecutionRequest.$Properties>;
export type SignalWorkflowExecutionReq = Plain<W.SignalWorkflowExecutionRequest.$Properties>;
export type RequestCancelWorkflowExecutionReq = Plain<W.RequestCancelWorkflowExecutionRequest.$Properties>;
export type TerminateWorkflowExecutionReq = Plain<W.TerminateWorkflowExecutionRequest.$Properties>;
export type DescribeWorkflowExecutionReq = Plain<W.DescribeWorkflowExecutionRequest.$Properties>;
export type ResetWorkflowExecutionReq = Plain<W.ResetWorkflowExecutionRequest.$Properties>;
export type GetWorkflowExecutionHistoryReq = Plain<W.GetWorkflowExecutionHistoryRequest.$Properties>;
export type GetWorkflowExecutionHistoryReverseReq = Plain<W.GetWorkflowExecutionHistoryReverseRequest.$Properties>;
export type QueryWorkflowReq = Plain<W.QueryWorkflowRequest.$Properties>;
export type RespondQueryTaskCompletedReq = Plain<W.RespondQueryTaskCompletedRequest.$Properties>;
export type RecordActivityTaskHeartbeatReq = Plain<W.RecordActivityTaskHeartbeatRequest.$Properties>;
export type RecordActivityTaskHeartbeatByIdReq = Plain<W.RecordActivityTaskHeartbeatByIdRequest.$Properties>;
export type RespondActivityTaskCompletedReq = Plain<W.RespondActivityTaskCompletedRequest.$Properties>;
export type RespondActivityTaskCompletedByIdReq = Plain<W.RespondActivityTaskCompletedByIdRequest.$Properties>;
export type RespondActivityTaskFailedReq = Plain<W.RespondActivityTaskFailedRequest.$Properties>;
export type RespondActivityTaskFailedByIdReq = Plain<W.RespondActivityTaskFailedByIdRequest.$Properties>;
export type RespondActivityTaskCanceledReq = Plain<W.RespondActivityTaskCanceledRequest.$Properties>;
export type RespondActivityTaskCanceledByIdReq = Plain<W.RespondActivityTaskCanceledByIdRequest.$Properties>;
export type ShutdownWorkerReq = Plain<W.ShutdownWorkerRequest.$Properties>;
export type ResetStickyTaskQueueReq = Plain<W.ResetStickyTaskQueueRequest.$Properties>;
export type DescribeNamespaceReq = Plain<W.DescribeNamespaceRequest.$Properties>;
export type RegisterNamespaceReq = Plain<W.RegisterNamespaceRequest.$Properties>;
export type ListWorkflowExecutionsReq = Plain<W.ListWorkflowExecutionsRequest.$Properties>;
export type CountWorkflowExecutionsReq = Plain<W.CountWorkflowExecutionsRequest.$Properties>;
export type ListOpenWorkflowExecutionsReq = Plain<W.ListOpenWorkflowExecutionsRequest.$Properties>;
export type ListClosedWorkflowExecutionsReq = Plain<W.ListClosedWorkflowExecutionsRequest.$Properties>;
export type DescribeTaskQueueReq = Plain<W.DescribeTaskQueueRequest.$Properties>;
export type DeleteWorkflowExecutionReq = Plain<W.DeleteWorkflowExecutionRequest.$Properties>;
export type UpdateWorkflowExecutionReq = Plain<W.UpdateWorkflowExecutionRequest.$Properties>;
export type PollWorkflowExecutionUpdateReq = Plain<W.PollWorkflowExecutionUpdateRequest.$Properties>;
export type DescribeWorkflowExecutionRes = Plain<W.DescribeWorkflowExecutionResponse.$Properties>;
