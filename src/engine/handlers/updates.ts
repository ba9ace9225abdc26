import type { Engine } from '../engine';
import { alreadyCompleted, notFound } from '../grpc/errors';
import type { CallContext, Handler } from '../grpc/server';
import { admitUpdate, stageNumber } from '../model/updates';
import type { Execution, UpdateState } from '../model/state';
import { enums, type PollWorkflowExecutionUpdateReq, type UpdateWorkflowExecutionReq } from '../proto';
import { required, waitForRun } from './common';

const STAGE = enums.UpdateWorkflowExecutionLifecycleStage;

/** Waits (long poll) until the update reaches the stage the caller asked for, then reports where it is. */
async function report(run: Execution, u: UpdateState, wanted: number | null | undefined, ctx: CallContext): Promise<object> {
  const want = Math.max(Number(wanted ?? 0) || STAGE.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ACCEPTED, STAGE.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ACCEPTED);
  await waitForRun(run, () => stageNumber(u) >= want || !run.open, ctx);
  if (stageNumber(u) < want && !run.open) throw alreadyCompleted();
  return {
    updateRef: { workflowExecution: { workflowId: run.state.workflowId, runId: run.runId }, updateId: u.updateId },
    outcome: u.stage === 'completed' ? u.outcome : undefined,
    stage: stageNumber(u),
  };
}

export function updateHandlers(engine: Engine): Record<string, Handler> {
  return {
    UpdateWorkflowExecution: async (req: UpdateWorkflowExecutionReq, ctx: CallContext) => {
      const ns = engine.namespaces.get(req.namespace).name;
      const updateId = required(req.request?.meta?.updateId, 'UpdateId');
      required(req.request?.input?.name, 'Update name');
      const run = engine.findRun(ns, req.workflowExecution);
      // A retried request with the same update id joins the update already admitted.
      let u = run.state.updates[updateId];
      if (!u) {
        if (!run.open) throw alreadyCompleted();
        u = engine.tx(() => admitUpdate(engine, run, req.request ?? {}));
      }
      return report(run, u, req.waitPolicy?.lifecycleStage, ctx);
    },

    PollWorkflowExecutionUpdate: async (req: PollWorkflowExecutionUpdateReq, ctx: CallContext) => {
      const ns = engine.namespaces.get(req.namespace).name;
      const updateId = required(req.updateRef?.updateId, 'UpdateId');
      const run = engine.findRun(ns, req.updateRef?.workflowExecution);
      const u = run.state.updates[updateId];
      if (!u) throw notFound(`update ${updateId} not found`);
      return report(run, u, req.waitPolicy?.lifecycleStage, ctx);
    },
  };
}
