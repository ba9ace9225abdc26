import type { Engine } from '../engine';
import { alreadyCompleted, notFound, workflowNotReady } from '../grpc/errors';
import type { CallContext, Handler } from '../grpc/server';
import { admitUpdate, stageNumber } from '../model/updates';
import type { Execution, UpdateState } from '../model/state';
import { enums, type PollWorkflowExecutionUpdateReq, type UpdateWorkflowExecutionReq } from '../proto';
import { required, waitForRun } from './common';

const STAGE = enums.UpdateWorkflowExecutionLifecycleStage;
/** The real server turns updates away at once while the workflow's task keeps failing (attempt 3 on). */
export const FAILING_TASK_ATTEMPT = 3;

/** Waits (long poll) until the update reaches the stage the caller asked for, or its run closes. */
export async function waitForStage(run: Execution, u: UpdateState, wanted: number | null | undefined, ctx: CallContext): Promise<number> {
  const want = Math.max(Number(wanted ?? 0) || STAGE.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ACCEPTED, STAGE.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ACCEPTED);
  await waitForRun(run, () => stageNumber(u) >= want || !run.open, ctx);
  return want;
}

/** Where the update stands, as the caller sees it. */
export function report(run: Execution, u: UpdateState, want: number): object {
  if (u.stage === 'aborted') throw notFound('update aborted by closing workflow');
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
      let run = engine.findRun(ns, req.workflowExecution);
      if (req.firstExecutionRunId && run.state.firstRunId !== req.firstExecutionRunId) throw notFound('workflow execution not found');
      for (;;) {
        // A retried request with the same update id joins the update already admitted.
        let u = run.state.updates[updateId];
        if (!u) {
          if (!run.open) throw alreadyCompleted();
          if (run.state.wftAttempt >= FAILING_TASK_ATTEMPT) throw workflowNotReady('Unable to perform workflow execution update due to Workflow Task in failed state.');
          const target = run;
          u = engine.tx(() => admitUpdate(engine, target, req.request ?? {}));
        }
        const want = await waitForStage(run, u, req.waitPolicy?.lifecycleStage, ctx);
        // The run went on as a new run (continue-as-new, retry) before the worker saw the update:
        // as the real server, it goes to the run that carries on, unless the caller named this run.
        const next = u.stage === 'aborted' && !req.workflowExecution?.runId ? engine.currentRun(ns, run.state.workflowId) : undefined;
        if (next && next !== run && next.open) {
          run = next;
          continue;
        }
        return report(run, u, want);
      }
    },

    PollWorkflowExecutionUpdate: async (req: PollWorkflowExecutionUpdateReq, ctx: CallContext) => {
      const ns = engine.namespaces.get(req.namespace).name;
      const updateId = required(req.updateRef?.updateId, 'UpdateId');
      const run = engine.findRun(ns, req.updateRef?.workflowExecution);
      const u = run.state.updates[updateId];
      if (!u) throw notFound(`update ${updateId} not found`);
      return report(run, u, await waitForStage(run, u, req.waitPolicy?.lifecycleStage, ctx));
    },
  };
}
