import { randomUUID } from 'node:crypto';
import { status } from '@grpc/grpc-js';
import { batchKey, type BatchAction, type BatchRecord, type ResetPoint } from '../batch/batcher';
import type { Engine } from '../engine';
import { alreadyStarted, EngineError, invalidArgument, workflowNotFound } from '../grpc/errors';
import type { Handler } from '../grpc/server';
import { enums, type temporal, type Plain } from '../proto';
import { msTimestamp } from '../time';
import { required } from './common';
import { matching } from './visibility';

type W = typeof temporal.api.workflowservice.v1;
type Req<K extends keyof W> = W[K] extends { prototype: infer P } ? Plain<P> : never;
type StartReq = Req<'StartBatchOperationRequest'>;

const Type = enums.BatchOperationType;
const State = enums.BatchOperationState;
const ResetType = enums.ResetType;

const unimplemented = (what: string): EngineError => new EngineError(status.UNIMPLEMENTED, `${what} is not implemented by the Durafax engine`);

/** The job's action and its BatchOperationType, from the request's operation; what the engine cannot do is UNIMPLEMENTED. */
function actionOf(req: StartReq): { type: number; action: BatchAction; identity: string } {
  if (req.terminationOperation) return { type: Type.BATCH_OPERATION_TYPE_TERMINATE, action: { kind: 'terminate' }, identity: req.terminationOperation.identity ?? '' };
  if (req.cancellationOperation) return { type: Type.BATCH_OPERATION_TYPE_CANCEL, action: { kind: 'cancel' }, identity: req.cancellationOperation.identity ?? '' };
  if (req.deletionOperation) return { type: Type.BATCH_OPERATION_TYPE_DELETE, action: { kind: 'delete' }, identity: req.deletionOperation.identity ?? '' };
  const signal = req.signalOperation;
  if (signal) {
    return {
      type: Type.BATCH_OPERATION_TYPE_SIGNAL,
      action: { kind: 'signal', signal: signal.signal ?? '', input: signal.input ?? undefined, header: signal.header ?? undefined },
      identity: signal.identity ?? '',
    };
  }
  const reset = req.resetOperation;
  if (reset) {
    // Post-reset operations set versioning overrides, and worker versioning is not implemented.
    if (reset.postResetOperations?.length) throw unimplemented('PostResetOperations');
    const options = reset.options;
    if (options?.buildId) throw unimplemented('Reset to a build id');
    let point: ResetPoint;
    if (options?.firstWorkflowTask) point = 'first';
    else if (options?.lastWorkflowTask) point = 'last';
    else if (options?.workflowTaskId) point = Number(options.workflowTaskId);
    else if (options) point = { unsupported: 'empty ResetOptions' };
    else if (Number(reset.resetType) === ResetType.RESET_TYPE_FIRST_WORKFLOW_TASK) point = 'first';
    else if (Number(reset.resetType) === ResetType.RESET_TYPE_LAST_WORKFLOW_TASK) point = 'last';
    // As the real batcher: the job runs, and each execution fails with the reason.
    else point = { unsupported: ResetType[Number(reset.resetType ?? 0)] ?? String(reset.resetType) };
    return {
      type: Type.BATCH_OPERATION_TYPE_RESET,
      action: {
        kind: 'reset',
        point,
        reapplyType: Number((options ? options.resetReapplyType : reset.resetReapplyType) ?? 0),
        excludeTypes: (options?.resetReapplyExcludeTypes ?? []).map(Number),
      },
      identity: reset.identity ?? '',
    };
  }
  if (req.updateWorkflowOptionsOperation) throw unimplemented('Batch UpdateWorkflowOptions');
  if (req.unpauseActivitiesOperation || req.resetActivitiesOperation || req.updateActivityOptionsOperation) throw unimplemented('Batch operations on activities');
  if (req.cancelActivitiesOperation || req.terminateActivitiesOperation || req.deleteActivitiesOperation) throw unimplemented('Batch operations on standalone activities');
  throw invalidArgument('Batch operation is not set on request.');
}

/**
 * The real server's query for an operation that only applies to running workflows (terminate,
 * cancel, signal): its batcher adds the status filter itself.
 */
function adjustedQuery(query: string, type: number): string {
  const runningOnly = [Type.BATCH_OPERATION_TYPE_TERMINATE, Type.BATCH_OPERATION_TYPE_CANCEL, Type.BATCH_OPERATION_TYPE_SIGNAL];
  return runningOnly.includes(type) ? `(${query}) AND (ExecutionStatus='Running')` : query;
}

/** StartBatchOperation: the real frontend's checks, in its order, then the job. */
function startBatch(engine: Engine, req: StartReq): void {
  const jobId = required(req.jobId, 'JobId');
  required(req.namespace, 'Namespace');
  const query = req.visibilityQuery ?? '';
  const executions = req.executions ?? [];
  if (!query && !executions.length) throw invalidArgument('Workflow executions and visibility filter are not set on request.');
  if (query && executions.length) throw invalidArgument('Workflow executions and visibility filter are both set on request. Only one of them is allowed.');
  if (executions.length > engine.config.maxBatchExecutions) throw invalidArgument('Workflow executions count exceeded.');
  const reason = required(req.reason, 'Reason');
  const ns = engine.namespaces.get(req.namespace).name;
  const { type, action, identity } = actionOf(req);
  if (engine.batcher.running(ns) >= engine.config.maxConcurrentBatchOperations) {
    throw new EngineError(status.RESOURCE_EXHAUSTED, 'Max concurrent batch operations is reached', {
      type: 'temporal.api.errordetails.v1.ResourceExhaustedFailure',
      value: { cause: enums.ResourceExhaustedCause.RESOURCE_EXHAUSTED_CAUSE_CONCURRENT_LIMIT, scope: enums.ResourceExhaustedScope.RESOURCE_EXHAUSTED_SCOPE_NAMESPACE },
    });
  }
  // The real server's job is a workflow with the job id, started rejecting duplicates: an id
  // a job or a workflow already has is refused.
  const job = engine.batcher.byKey.get(batchKey(ns, jobId));
  const run = engine.currentRun(ns, jobId);
  const holder = job ? { runId: job.runId, running: job.state === State.BATCH_OPERATION_STATE_RUNNING } : run ? { runId: run.runId, running: run.open } : undefined;
  if (holder) {
    throw alreadyStarted(
      holder.running
        ? `Workflow execution is already running. WorkflowId: ${jobId}, RunId: ${holder.runId}.`
        : `Workflow execution already finished. WorkflowId: ${jobId}, RunId: ${holder.runId}. Workflow Id reuse policy: reject duplicate workflow Id.`,
      '',
      holder.runId,
    );
  }
  const targets = query
    ? matching(engine, ns, adjustedQuery(query, type)).runs.map((run) => ({ workflowId: run.visible.workflowId, runId: run.runId }))
    : executions.map((e) => ({ workflowId: e.workflowId ?? '', runId: e.runId ?? '' }));
  const requestedRps = Number(req.maxOperationsPerSecond ?? 0);
  const rps = Math.max(1, Math.floor(requestedRps > 0 && requestedRps < engine.config.batcherRps ? requestedRps : engine.config.batcherRps));
  engine.tx(() =>
    engine.batcher.start({
      namespace: ns,
      jobId,
      runId: randomUUID(),
      type,
      action,
      reason,
      identity,
      startTime: engine.now(),
      state: State.BATCH_OPERATION_STATE_RUNNING,
      targets,
      next: 0,
      success: 0,
      failure: 0,
      rps,
    }),
  );
}

/** StartBatchOperation, StopBatchOperation, DescribeBatchOperation, ListBatchOperations. */
export function batchHandlers(engine: Engine): Record<string, Handler> {
  const find = (namespace: string | null | undefined, jobId: string | null | undefined): BatchRecord => {
    const ns = engine.namespaces.get(namespace).name;
    const id = required(jobId, 'JobId');
    const rec = engine.batcher.byKey.get(batchKey(ns, id));
    if (!rec) throw workflowNotFound(id);
    return rec;
  };

  return {
    StartBatchOperation: (req: StartReq) => {
      startBatch(engine, req);
      return {};
    },

    StopBatchOperation: (req: Req<'StopBatchOperationRequest'>) => {
      const rec = find(req.namespace, req.jobId);
      required(req.reason, 'Reason');
      if (rec.state !== State.BATCH_OPERATION_STATE_RUNNING) throw new EngineError(status.NOT_FOUND, 'workflow execution already completed');
      engine.tx(() => engine.batcher.stop(rec));
      return {};
    },

    DescribeBatchOperation: (req: Req<'DescribeBatchOperationRequest'>) => {
      const rec = find(req.namespace, req.jobId);
      const running = rec.state === State.BATCH_OPERATION_STATE_RUNNING;
      return {
        operationType: rec.type,
        jobId: rec.jobId,
        state: rec.state,
        startTime: msTimestamp(rec.startTime),
        closeTime: rec.closeTime ? msTimestamp(rec.closeTime) : undefined,
        // While it runs, the total is the estimate made at the start, as the real server's.
        totalOperationCount: running ? rec.targets.length : rec.success + rec.failure,
        completeOperationCount: rec.success,
        failureOperationCount: rec.failure,
        identity: rec.identity,
        reason: rec.reason,
      };
    },

    ListBatchOperations: (req: Req<'ListBatchOperationsRequest'>) => {
      const ns = engine.namespaces.get(req.namespace).name;
      const jobs = [...engine.batcher.byKey.values()].filter((rec) => rec.namespace === ns).sort((a, b) => b.startTime - a.startTime || (a.jobId < b.jobId ? -1 : 1));
      const offset = req.nextPageToken?.length ? Number(Buffer.from(req.nextPageToken).toString('utf8')) || 0 : 0;
      const size = Number(req.pageSize ?? 0) > 0 ? Number(req.pageSize) : 1000;
      const slice = jobs.slice(offset, offset + size);
      return {
        operationInfo: slice.map((rec) => ({
          jobId: rec.jobId,
          state: rec.state,
          startTime: msTimestamp(rec.startTime),
          closeTime: rec.closeTime ? msTimestamp(rec.closeTime) : undefined,
        })),
        nextPageToken: offset + slice.length < jobs.length ? Buffer.from(String(offset + slice.length), 'utf8') : undefined,
      };
    },
  };
}
