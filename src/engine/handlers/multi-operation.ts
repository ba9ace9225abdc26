import type { Engine } from '../engine';
import { alreadyCompleted, EngineError, invalidArgument, multiOperationError, workflowNotReady } from '../grpc/errors';
import type { CallContext, Handler } from '../grpc/server';
import { createRun, resolveIdConflict, type StartParams } from '../model/start';
import type { Execution, UpdateState } from '../model/state';
import { admitUpdate } from '../model/updates';
import { enums, type temporal, type Plain, type StartReq, type UpdateWorkflowExecutionReq } from '../proto';
import { durationMs } from '../time';
import { FAILING_TASK_ATTEMPT, report, waitForStage } from './updates';
import { startParams } from './workflows';

type MultiOperationReq = Plain<temporal.api.workflowservice.v1.ExecuteMultiOperationRequest.$Properties>;

const isMultiOperationError = (err: EngineError): boolean => err.detail?.type === 'temporal.api.errordetails.v1.MultiOperationExecutionFailure';

/** A failure the request's own checks found (the real frontend's), as an EngineError. */
function check(fn: () => void): EngineError | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    if (err instanceof EngineError) return err;
    throw err;
  }
}

/** What the real frontend checks of the start operation beyond a plain start. */
function checkStart(engine: Engine, start: StartReq): { params?: StartParams; error?: EngineError } {
  let params: StartParams | undefined;
  const error = check(() => {
    if (start.cronSchedule) throw invalidArgument('CronSchedule is not allowed.');
    if (start.requestEagerExecution) throw invalidArgument('RequestEagerExecution is not supported.');
    if (durationMs(start.workflowStartDelay) > 0) throw invalidArgument('WorkflowStartDelay is not supported.');
    params = startParams(engine, start);
  });
  return { params, error };
}

function checkUpdate(update: UpdateWorkflowExecutionReq): EngineError | undefined {
  return check(() => {
    if (!update.request?.meta?.updateId) throw invalidArgument('Update meta is not set on request.');
    if (!update.request.input) throw invalidArgument('Update input is not set on request.');
    if (!update.request.input.name) throw invalidArgument('Update name is not set on request.');
  });
}

/**
 * ExecuteMultiOperation, whose one form is update-with-start: start the workflow (or use the
 * running one, as its conflict policy or a retried request allows) and send it an update, in
 * one transaction, then wait for the update as UpdateWorkflowExecution does. Errors are the
 * real server's: per-operation statuses in MultiOperationExecutionFailure.
 */
export function multiOperationHandlers(engine: Engine): Record<string, Handler> {
  return {
    ExecuteMultiOperation: async (req: MultiOperationReq, ctx: CallContext) => {
      const ns = engine.namespaces.get(req.namespace).name;
      const [first, second, ...rest] = req.operations ?? [];
      const start = first?.startWorkflow;
      const update = second?.updateWorkflow;
      if (!start || !update || rest.length) throw invalidArgument('Operations have to be exactly [Start, Update].');
      const { params, error: startError } = checkStart(engine, { ...start, namespace: start.namespace || ns });
      let updateError = checkUpdate(update);
      if (!startError && !updateError && update.workflowExecution?.workflowId !== start.workflowId)
        updateError = invalidArgument('WorkflowId is not consistent with previous operation(s).');
      if (!params || startError || updateError) throw multiOperationError('MultiOperation could not be executed.', [startError ?? 'aborted', updateError ?? 'aborted']);

      const updateId = update.request?.meta?.updateId ?? '';
      const conflict = Number(start.workflowIdConflictPolicy ?? 0);
      const applied = engine.tx((): { run: Execution; u: UpdateState; started: boolean } => {
        const current = engine.currentRun(ns, params.workflowId);
        // The same update again (a retried call) joins it, on the run that has it.
        const known = current?.state.updates[updateId];
        if (current && known) return { run: current, u: known, started: false };
        if (current?.open && (current.state.requestId === params.requestId || conflict === enums.WorkflowIdConflictPolicy.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING)) {
          if (current.state.wftAttempt >= FAILING_TASK_ATTEMPT) {
            throw multiOperationError('MultiOperation could not be executed: Update failed.', [
              'aborted',
              workflowNotReady('Unable to perform workflow execution update due to Workflow Task in failed state.'),
            ]);
          }
          return { run: current, u: admitUpdate(engine, current, update.request ?? {}), started: false };
        }
        try {
          const existing = resolveIdConflict(engine, ns, params.workflowId, params.requestId, { reuse: start.workflowIdReusePolicy ?? 0, conflict });
          // A retried start whose run has closed since: the update has nothing to go to.
          if (existing && !existing.run.open)
            throw multiOperationError('MultiOperation could not be executed: Update failed: workflow execution already completed', ['aborted', alreadyCompleted()]);
          if (existing) return { run: existing.run, u: admitUpdate(engine, existing.run, update.request ?? {}), started: false };
        } catch (err) {
          if (err instanceof EngineError && !isMultiOperationError(err))
            throw multiOperationError(`MultiOperation could not be executed: Start failed: ${err.message}`, [err, 'aborted']);
          throw err;
        }
        const run = createRun(engine, params);
        return { run, u: admitUpdate(engine, run, update.request ?? {}), started: true };
      });

      const { run, u, started } = applied;
      const want = await waitForStage(run, u, update.waitPolicy?.lifecycleStage, ctx);
      let updateResponse: object;
      try {
        updateResponse = report(run, u, want);
      } catch (err) {
        if (err instanceof EngineError) throw multiOperationError(`MultiOperation could not be executed: Update failed: ${err.message}`, [started ? undefined : 'aborted', err]);
        throw err;
      }
      return {
        responses: [{ startWorkflow: { runId: run.runId, started, status: run.state.status } }, { updateWorkflow: updateResponse }],
      };
    },
  };
}
