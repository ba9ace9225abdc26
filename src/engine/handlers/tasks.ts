import type { Engine } from '../engine';
import { failedPrecondition, invalidArgument } from '../grpc/errors';
import type { CallContext, Handler } from '../grpc/server';
import type { QueueType, Task } from '../matching';
import { versionKey } from '../deployments/deployments';
import { activityById, activityCanceled, completeActivity, failActivity, heartbeat, runningActivity, startActivity } from '../model/activity';
import { completeWft, failWft, stickyQueueGone } from '../model/workflow-task';
import { nexusTaskCompleted, nexusTaskFailed, takeNexusTask } from '../model/nexus';
import { startWft } from '../model/workflow-task';
import {
  enums,
  type Failure,
  type Payloads,
  type PollActReq,
  type PollActRes,
  type PollWftReq,
  type PollWftRes,
  type QueryWorkflowReq,
  type RecordActivityTaskHeartbeatByIdReq,
  type RecordActivityTaskHeartbeatReq,
  type ResetStickyTaskQueueReq,
  type RespondActivityTaskCanceledByIdReq,
  type RespondActivityTaskCanceledReq,
  type RespondActivityTaskCompletedByIdReq,
  type RespondActivityTaskCompletedReq,
  type RespondActivityTaskFailedByIdReq,
  type RespondActivityTaskFailedReq,
  type RespondQueryTaskCompletedReq,
  type ShutdownWorkerReq,
  type WftCompletedReq,
  type WftFailedReq,
  type temporal,
  type Plain,
} from '../proto';
import { sizeOf } from '../dynamic-config';
import { decodeToken } from '../tokens';
import { pollTimeout, required } from './common';
import { pollersOf, type PollerDeployment } from './pollers';

type W = typeof temporal.api.workflowservice.v1;
type Req<K extends keyof W> = W[K] extends { prototype: infer P } ? Plain<P> : never;

const serverFailure = (message: string): Failure => ({ message, serverFailureInfo: { nonRetryable: true } });

/** The real server's stand-in for a failure over the size limit: its own, with the original cut down as the cause. */
function oversizedFailure(failure: Failure | null | undefined, keepBytes: number): Failure {
  const cut: Failure = { message: (failure?.message ?? '').slice(0, keepBytes), source: failure?.source ?? '' };
  if (failure?.applicationFailureInfo)
    cut.applicationFailureInfo = { type: failure.applicationFailureInfo.type ?? '', nonRetryable: failure.applicationFailureInfo.nonRetryable ?? false };
  return { ...serverFailure('Failure exceeds size limit.'), cause: cut };
}

function activityToken(engine: Engine, bytes: Uint8Array | null | undefined): ReturnType<typeof runningActivity> {
  const t = decodeToken(bytes);
  if (t.k !== 'a') throw invalidArgument('Not an activity task token.');
  return runningActivity(engine, t.r, t.e, t.a);
}

export function taskHandlers(engine: Engine): Record<string, Handler> {
  const pollers = pollersOf(engine);
  const takeWorkflowTask = (task: Task, poll: PollWftReq): PollWftRes | null => {
    if (task.kind === 'query') return engine.queries.take(task.queryId, poll);
    if (task.kind !== 'wft') return null;
    const run = engine.runs.get(task.runId);
    return run ? engine.tx(() => startWft(engine, run, task.seq, poll)) : null;
  };
  const takeActivityTask = (task: Task, poll: PollActReq): PollActRes | null => {
    if (task.kind !== 'activity') return null;
    const run = engine.runs.get(task.runId);
    return run ? engine.tx(() => startActivity(engine, run, task.scheduledEventId, task.attempt, poll)) : null;
  };

  /**
   * A poll's Worker Deployment Version, checked as the real server checks it: a versioned
   * worker's version (and its normal task queue) is registered in its deployment, and it gets
   * only the tasks routed to it; an unversioned worker's key is ''.
   */
  const pollVersion = (
    namespace: string,
    req: PollWftReq | PollActReq | Req<'PollNexusTaskQueueRequest'>,
    queue: string,
    type: QueueType,
  ): { key: string; options?: PollerDeployment } => {
    const opts = req.deploymentOptions;
    if (Number(opts?.workerVersioningMode) !== enums.WorkerVersioningMode.WORKER_VERSIONING_MODE_VERSIONED) return { key: '' };
    const deploymentName = opts?.deploymentName ?? '';
    const buildId = opts?.buildId ?? '';
    if (!deploymentName) throw invalidArgument('versioned worker must have deployment name');
    if (!buildId) throw invalidArgument('versioned worker must have build id');
    if (deploymentName.includes(':') || deploymentName.includes('.')) throw invalidArgument("deployment name cannot contain ':' or '.'");
    // A sticky queue is the worker's own, not one of its deployment's.
    if (Number(req.taskQueue?.kind) !== enums.TaskQueueKind.TASK_QUEUE_KIND_STICKY) {
      engine.tx(() => engine.deployments.register(namespace, { deploymentName, buildId }, queue, type));
    }
    return {
      key: versionKey({ deploymentName, buildId }),
      options: { deploymentName, buildId, workerVersioningMode: enums.WorkerVersioningMode.WORKER_VERSIONING_MODE_VERSIONED },
    };
  };

  type Running = ReturnType<typeof runningActivity>;
  const byId = (req: { namespace?: string | null; workflowId?: string | null; runId?: string | null; activityId?: string | null }): Running =>
    // Without a workflow id, the activity is a standalone one (its run id is the activity's).
    activityById(engine, engine.namespaces.get(req.namespace).name, req.workflowId ?? '', req.runId, required(req.activityId, 'ActivityId'));
  // As the real server's frontend: an activity that reports more than the blob size limit fails
  // instead (non-retryably), and an oversized failure is replaced by the server's own.
  const tooBig = (size: number): boolean => size > engine.config.blobSizeError;
  const failOversized = ({ run, act }: Running, message: string, identity: string): object => {
    engine.tx(() => failActivity(engine, run, act, serverFailure(message), identity));
    return {};
  };
  const reportHeartbeat = (activity: Running, req: { details?: Payloads | null; identity?: string | null }): object => {
    if (tooBig(sizeOf.payloads(req.details))) return failOversized(activity, 'Heartbeat details exceed size limit.', req.identity ?? '');
    return engine.tx(() => heartbeat(engine, activity.run, activity.act, req.details));
  };
  const reportCompleted = (activity: Running, req: { result?: Payloads | null; identity?: string | null }): object => {
    if (tooBig(sizeOf.payloads(req.result))) return failOversized(activity, 'Complete result exceeds size limit.', req.identity ?? '');
    engine.tx(() => completeActivity(engine, activity.run, activity.act, req.result, req.identity ?? ''));
    return {};
  };
  const reportFailed = (activity: Running, req: { failure?: Failure | null; identity?: string | null; lastHeartbeatDetails?: Payloads | null }): object => {
    const failure = tooBig(sizeOf.failure(req.failure)) ? oversizedFailure(req.failure, engine.config.blobSizeWarn) : req.failure;
    engine.tx(() => failActivity(engine, activity.run, activity.act, failure, req.identity ?? '', req.lastHeartbeatDetails));
    return {};
  };
  const reportCanceled = (activity: Running, req: { details?: Payloads | null; identity?: string | null }): object => {
    if (tooBig(sizeOf.payloads(req.details))) return failOversized(activity, 'Cancel details exceed size limit.', req.identity ?? '');
    engine.tx(() => activityCanceled(engine, activity.run, activity.act, req.details, req.identity ?? ''));
    return {};
  };

  return {
    PollWorkflowTaskQueue: async (req: PollWftReq, ctx: CallContext) => {
      const ns = engine.namespaces.get(req.namespace).name;
      const queue = required(req.taskQueue?.name, 'TaskQueue');
      const version = pollVersion(ns, req, queue, 'workflow');
      const done = pollers.polling(ns, queue, 'workflow', req.identity ?? '', null, version.options);
      try {
        const res = await engine.matching.poll(ns, queue, 'workflow', (t) => takeWorkflowTask(t, req), pollTimeout(ctx), ctx.onCancel, version.key);
        return res ?? {};
      } finally {
        done();
      }
    },

    RespondWorkflowTaskCompleted: (req: WftCompletedReq) => {
      const t = decodeToken(req.taskToken);
      if (t.k !== 'w') throw invalidArgument('Not a workflow task token.');
      return engine.tx(() => completeWft(engine, t.r, t.s, req));
    },

    RespondWorkflowTaskFailed: (req: WftFailedReq) => {
      const t = decodeToken(req.taskToken);
      if (t.k === 'q') {
        engine.queries.answer(t.q, enums.QueryResultType.QUERY_RESULT_TYPE_FAILED, undefined, req.failure?.message ?? 'query failed');
        return {};
      }
      if (t.k !== 'w') throw invalidArgument('Not a workflow task token.');
      const failure = tooBig(sizeOf.failure(req.failure)) ? oversizedFailure(req.failure, engine.config.blobSizeWarn) : req.failure;
      engine.tx(() => failWft(engine, t.r, t.s, { ...req, failure }));
      return {};
    },

    PollActivityTaskQueue: async (req: PollActReq, ctx: CallContext) => {
      const ns = engine.namespaces.get(req.namespace).name;
      const queue = required(req.taskQueue?.name, 'TaskQueue');
      const version = pollVersion(ns, req, queue, 'activity');
      const done = pollers.polling(ns, queue, 'activity', req.identity ?? '', req.taskQueueMetadata?.maxTasksPerSecond?.value, version.options);
      try {
        const res = await engine.matching.poll(ns, queue, 'activity', (t) => takeActivityTask(t, req), pollTimeout(ctx), ctx.onCancel, version.key);
        return res ?? {};
      } finally {
        done();
      }
    },

    PollNexusTaskQueue: async (req: Req<'PollNexusTaskQueueRequest'>, ctx: CallContext) => {
      const ns = engine.namespaces.get(req.namespace).name;
      const queue = required(req.taskQueue?.name, 'TaskQueue');
      const version = pollVersion(ns, req, queue, 'nexus');
      const done = pollers.polling(ns, queue, 'nexus', req.identity ?? '', null, version.options);
      try {
        const res = await engine.matching.poll(ns, queue, 'nexus', (t) => (t.kind === 'nexus' ? takeNexusTask(engine, t) : null), pollTimeout(ctx), ctx.onCancel, version.key);
        return res ?? {};
      } finally {
        done();
      }
    },

    RespondNexusTaskCompleted: (req: Req<'RespondNexusTaskCompletedRequest'>) => {
      const t = decodeToken(req.taskToken);
      if (t.k !== 'n') throw invalidArgument('Not a Nexus task token.');
      engine.tx(() => nexusTaskCompleted(engine, t, req.response));
      return {};
    },

    RespondNexusTaskFailed: (req: Req<'RespondNexusTaskFailedRequest'>) => {
      const t = decodeToken(req.taskToken);
      if (t.k !== 'n') throw invalidArgument('Not a Nexus task token.');
      engine.tx(() => nexusTaskFailed(engine, t, req.error, req.failure));
      return {};
    },

    RecordActivityTaskHeartbeat: (req: RecordActivityTaskHeartbeatReq) => reportHeartbeat(activityToken(engine, req.taskToken), req),
    RecordActivityTaskHeartbeatById: (req: RecordActivityTaskHeartbeatByIdReq) => reportHeartbeat(byId(req), req),

    RespondActivityTaskCompleted: (req: RespondActivityTaskCompletedReq) => reportCompleted(activityToken(engine, req.taskToken), req),
    RespondActivityTaskCompletedById: (req: RespondActivityTaskCompletedByIdReq) => reportCompleted(byId(req), req),

    RespondActivityTaskFailed: (req: RespondActivityTaskFailedReq) => reportFailed(activityToken(engine, req.taskToken), req),
    RespondActivityTaskFailedById: (req: RespondActivityTaskFailedByIdReq) => reportFailed(byId(req), req),

    RespondActivityTaskCanceled: (req: RespondActivityTaskCanceledReq) => reportCanceled(activityToken(engine, req.taskToken), req),
    RespondActivityTaskCanceledById: (req: RespondActivityTaskCanceledByIdReq) => reportCanceled(byId(req), req),

    QueryWorkflow: async (req: QueryWorkflowReq, ctx: CallContext) => {
      const ns = engine.namespaces.get(req.namespace).name;
      required(req.query?.queryType, 'QueryType');
      const run = engine.findRun(ns, req.execution);
      const RC = enums.QueryRejectCondition;
      const cond = Number(req.queryRejectCondition ?? 0);
      const rejected =
        (cond === RC.QUERY_REJECT_CONDITION_NOT_OPEN && !run.open) ||
        (cond === RC.QUERY_REJECT_CONDITION_NOT_COMPLETED_CLEANLY && !run.open && run.state.status !== enums.WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_COMPLETED);
      if (rejected) return { queryRejected: { status: run.state.status } };
      // As the real server: a workflow whose tasks keep failing cannot answer (its code is broken or stuck).
      if (run.open && run.state.wftAttempt > 1) throw failedPrecondition('Cannot query workflow due to Workflow Task in failed state.');
      const result = await engine.queries.ask(run, req.query ?? {}, ctx.onCancel);
      return { queryResult: result };
    },

    RespondQueryTaskCompleted: (req: RespondQueryTaskCompletedReq) => {
      const t = decodeToken(req.taskToken);
      if (t.k !== 'q') throw invalidArgument('Not a query task token.');
      engine.queries.answer(t.q, req.completedType ?? 0, req.queryResult, req.errorMessage ?? req.failure?.message ?? '');
      return {};
    },

    ShutdownWorker: (req: ShutdownWorkerReq) => {
      const ns = engine.namespaces.get(req.namespace).name;
      if (req.stickyTaskQueue) engine.tx(() => stickyQueueGone(engine, ns, req.stickyTaskQueue ?? ''));
      return {};
    },

    ResetStickyTaskQueue: (req: ResetStickyTaskQueueReq) => {
      const ns = engine.namespaces.get(req.namespace).name;
      const run = engine.findRun(ns, req.execution);
      engine.tx(() => {
        run.state.sticky = null;
        engine.touch(run);
      });
      return {};
    },

    RecordWorkerHeartbeat: () => ({}),
  };
}
