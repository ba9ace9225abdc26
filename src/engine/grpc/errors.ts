import { status } from '@grpc/grpc-js';
import { protoRoot } from '../proto';

/**
 * An error a handler throws on purpose: it becomes a gRPC status with this code and message.
 * `detail` is packed into `grpc-status-details-bin` the way the real server does, so the SDK
 * maps it to a typed exception (e.g. WorkflowExecutionAlreadyStartedError).
 */
export class EngineError extends Error {
  constructor(
    readonly code: status,
    message: string,
    readonly detail?: { type: string; value: Record<string, unknown> },
  ) {
    super(message);
    this.name = 'EngineError';
  }
}

export const invalidArgument = (message: string): EngineError => new EngineError(status.INVALID_ARGUMENT, message);
export const notFound = (message: string): EngineError => new EngineError(status.NOT_FOUND, message, { type: 'temporal.api.errordetails.v1.NotFoundFailure', value: {} });
export const failedPrecondition = (message: string): EngineError => new EngineError(status.FAILED_PRECONDITION, message);

export function workflowNotFound(workflowId: string, runId?: string | null): EngineError {
  return notFound(`workflow not found for ID: ${workflowId}${runId ? ` (run ${runId})` : ''}`);
}

export const alreadyCompleted = (): EngineError => notFound('workflow execution already completed');

export const workflowNotReady = (message: string): EngineError =>
  new EngineError(status.FAILED_PRECONDITION, message, { type: 'temporal.api.errordetails.v1.WorkflowNotReadyFailure', value: {} });

export function alreadyStarted(message: string, startRequestId: string, runId: string): EngineError {
  return new EngineError(status.ALREADY_EXISTS, message, {
    type: 'temporal.api.errordetails.v1.WorkflowExecutionAlreadyStartedFailure',
    value: { startRequestId, runId },
  });
}

export function namespaceNotFound(namespace: string): EngineError {
  return new EngineError(status.NOT_FOUND, `Namespace ${namespace} is not found.`, {
    type: 'temporal.api.errordetails.v1.NamespaceNotFoundFailure',
    value: { namespace },
  });
}

export function queryFailed(message: string): EngineError {
  return new EngineError(status.INVALID_ARGUMENT, message, { type: 'temporal.api.errordetails.v1.QueryFailedFailure', value: {} });
}

const anyOf = (detail: { type: string; value: Record<string, unknown> }): { type_url: string; value: Uint8Array } => {
  const type = protoRoot.lookupType(detail.type);
  return { type_url: `type.googleapis.com/${detail.type}`, value: type.encode(type.fromObject(detail.value)).finish() };
};

/**
 * A multi-operation (update-with-start) that could not be executed, as the real server reports
 * it: each operation's status in MultiOperationExecutionFailure (`aborted` for one that did not
 * fail itself, undefined for one that succeeded), and the call's code that of the first failure.
 */
export function multiOperationError(message: string, results: (EngineError | 'aborted' | undefined)[]): EngineError {
  const statuses = results.map((result) =>
    result === 'aborted'
      ? { code: status.ABORTED, message: 'Operation was aborted.' }
      : result
        ? { code: result.code, message: result.message, details: result.detail ? [anyOf(result.detail)] : [] }
        : { code: status.OK },
  );
  const code = results.find((result): result is EngineError => result instanceof EngineError)?.code ?? status.ABORTED;
  return new EngineError(code, message, { type: 'temporal.api.errordetails.v1.MultiOperationExecutionFailure', value: { statuses } });
}

/** Encodes a google.rpc.Status carrying one detail, for the `grpc-status-details-bin` trailer. */
export function encodeStatusDetails(err: EngineError): Buffer | undefined {
  if (!err.detail) return undefined;
  const detailType = protoRoot.lookupType(err.detail.type);
  const value = detailType.encode(detailType.fromObject(err.detail.value)).finish();
  const statusType = protoRoot.lookupType('google.rpc.Status');
  const bytes = statusType
    .encode(statusType.fromObject({ code: err.code, message: err.message, details: [{ type_url: `type.googleapis.com/${err.detail.type}`, value }] }))
    .finish();
  return Buffer.from(bytes);
}
