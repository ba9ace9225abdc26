import type { Engine } from '../engine';
import { failedPrecondition, invalidArgument } from '../grpc/errors';
import type { CallContext, Handler } from '../grpc/server';
import type { Task } from '../matching';
import {
  activityById,
  activityCanceled,
  completeActivity,
  failActivity,
  heartbeat,
  runningActivity,
  startActivity,
} from '../model/activity';
import { completeWft, failWft, stickyQueueGone } from '../model/workflow-task';
import { startWft } from '../model/workflow-task';
import {
  enums,
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
} from '../proto';
import { decodeToken } from '../tokens';
import { pollTimeout, required } from './common';
import { pollersOf } from './pollers';

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

  return {
    PollWorkflowTaskQueue: async (req: PollWftReq, ctx: CallContext) => {
      const ns = engine.namespaces.get(req.namespace).name;
      const queue = required(req.taskQueue?.name, 'TaskQueue');
      const done = pollers.polling(ns, queue, 'workflow', req.identity ?? '', null);
      try {
        const res = await engine.matching.poll(ns, queue, 'workflow', (t) => takeWorkflowTask(t, req), pollTimeout(ctx), ctx.onCancel);
        return res ?? {};
      } finally {
        done();
      }
    },

    RespondWorkflowTaskCompleted: (req: WftCompletedReq) => {
      const t = decodeToken(req.taskToken);
      if (t.k !== 'w') throw invalidArgument('Not a workflow task token.');
      engine.tx(() => completeWft(engine, t.r, t.s, req));
      return {};
    },

    RespondWorkflowTaskFailed: (req: WftFailedReq) => {
      const t = decodeToken(req.taskToken);
      if (t.k === 'q') {
        engine.queries.answer(t.q, enums.QueryResultType.QUERY_RESULT_TYPE_FAILED, undefined, req.failure?.message ?? 'query failed');
        return {};
      }
      if (t.k !== 'w') throw invalidArgument('Not a workflow task token.');
      engine.tx(() => failWft(engine, t.r, t.s, req));
      return {};
    },

    PollActivityTaskQueue: async (req: PollActReq, ctx: CallContext) => {
      const ns = engine.namespaces.get(req.namespace).name;
      const queue = required(req.taskQueue?.name, 'TaskQueue');
      const done = pollers.polling(ns, queue, 'activity', req.identity ?? '', req.taskQueueMetadata?.maxTasksPerSecond?.value);
      try {
        const res = await engine.matching.poll(ns, queue, 'activity', (t) => takeActivityTask(t, req), pollTimeout(ctx), ctx.onCancel);
        return res ?? {};
      } finally {
        done();
      }
    },

    RecordActivityTaskHeartbeat: (req: RecordActivityTaskHeartbeatReq) => {
      const { run, act } = activityToken(engine, req.taskToken);
      return engine.tx(() => heartbeat(engine, run, act, req.details));
    },
    RecordActivityTaskHeartbeatById: (req: RecordActivityTaskHeartbeatByIdReq) => {
      const { run, act } = activityById(engine, engine.namespaces.get(req.namespace).name, required(req.workflowId, 'WorkflowId'), req.runId, required(req.activityId, 'ActivityId'));
      return engine.tx(() => heartbeat(engine, run, act, req.details));
    },

    RespondActivityTaskCompleted: (req: RespondActivityTaskCompletedReq) => {
      const { run, act } = activityToken(engine, req.taskToken);
      engine.tx(() => completeActivity(engine, run, act, req.result, req.identity ?? ''));
      return {};
    },
    RespondActivityTaskCompletedById: (req: RespondActivityTaskCompletedByIdReq) => {
      const { run, act } = activityById(engine, engine.namespaces.get(req.namespace).name, required(req.workflowId, 'WorkflowId'), req.runId, required(req.activityId, 'ActivityId'));
      engine.tx(() => completeActivity(engine, run, act, req.result, req.identity ?? ''));
      return {};
    },

    RespondActivityTaskFailed: (req: RespondActivityTaskFailedReq) => {
      const { run, act } = activityToken(engine, req.taskToken);
      engine.tx(() => failActivity(engine, run, act, req.failure, req.identity ?? '', req.lastHeartbeatDetails));
      return {};
    },
    RespondActivityTaskFailedById: (req: RespondActivityTaskFailedByIdReq) => {
      const { run, act } = activityById(engine, engine.namespaces.get(req.namespace).name, required(req.workflowId, 'WorkflowId'), req.runId, required(req.activityId, 'ActivityId'));
      engine.tx(() => failActivity(engine, run, act, req.failure, req.identity ?? '', req.lastHeartbeatDetails));
      return {};
    },

    RespondActivityTaskCanceled: (req: RespondActivityTaskCanceledReq) => {
      const { run, act } = activityToken(engine, req.taskToken);
      engine.tx(() => activityCanceled(engine, run, act, req.details, req.identity ?? ''));
      return {};
    },
    RespondActivityTaskCanceledById: (req: RespondActivityTaskCanceledByIdReq) => {
      const { run, act } = activityById(engine, engine.namespaces.get(req.namespace).name, required(req.workflowId, 'WorkflowId'), req.runId, required(req.activityId, 'ActivityId'));
      engine.tx(() => activityCanceled(engine, run, act, req.details, req.identity ?? ''));
      return {};
    },

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
