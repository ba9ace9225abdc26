import { ScheduleNotFoundError, WorkflowNotFoundError, WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError, type Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { faxWorkflowId, refundUpdate, resendUpdate, type RefundOutcome, type ResendOutcome, type SupportRequest } from '../../workflows/contract';
import { RECONCILIATION_SCHEDULE_ID } from '../../workflows/reconciliation-contract';

/**
 * What a support update came to: the workflow's answer; its refusal (a reason code); `closed`
 * when the fax's workflow no longer runs (its documents were purged); `pending` when no answer
 * came in time (the workflow has the request and finishes it; the audit log shows it later).
 */
export type UpdateAnswer<T> = { kind: 'done'; result: T } | { kind: 'refused'; reason: string } | { kind: 'closed' } | { kind: 'pending' };

/** What came of asking for a reconciliation now: started (unless one is running), or no schedule (switched off). */
export type ReconcileAnswer = 'triggered' | 'off';

/**
 * The support actions that are updates of a fax's workflow (a cancel is the fax's cancel
 * signal), and the reconciliation's "run now", the trigger of its schedule.
 */
export interface SupportWorkflows {
  refund(faxId: string, request: SupportRequest): Promise<UpdateAnswer<RefundOutcome>>;
  resend(faxId: string, request: SupportRequest): Promise<UpdateAnswer<ResendOutcome>>;
  reconcileNow(): Promise<ReconcileAnswer>;
}

export class TemporalSupportWorkflows implements SupportWorkflows {
  constructor(
    private readonly client: Client,
    /** How long a page waits for the workflow's answer before saying it is on its way. */
    private readonly answerWaitMs = 20_000,
  ) {}

  refund(faxId: string, request: SupportRequest): Promise<UpdateAnswer<RefundOutcome>> {
    return this.ask(faxId, (handle) => handle.executeUpdate(refundUpdate, { args: [request], updateId: request.actionId }));
  }

  resend(faxId: string, request: SupportRequest): Promise<UpdateAnswer<ResendOutcome>> {
    return this.ask(faxId, (handle) => handle.executeUpdate(resendUpdate, { args: [request], updateId: request.actionId }));
  }

  /** The schedule's own trigger, under its overlap policy: a run already going is not joined by a second. */
  async reconcileNow(): Promise<ReconcileAnswer> {
    try {
      await this.client.schedule.getHandle(RECONCILIATION_SCHEDULE_ID).trigger('SKIP');
      return 'triggered';
    } catch (err) {
      if (err instanceof ScheduleNotFoundError) return 'off';
      throw err;
    }
  }

  /**
   * Runs one update, its id the audit row's id (a repeated request joins the same update),
   * and reads what came of it.
   */
  private async ask<T>(faxId: string, run: (handle: ReturnType<Client['workflow']['getHandle']>) => Promise<T>): Promise<UpdateAnswer<T>> {
    const handle = this.client.workflow.getHandle(faxWorkflowId(faxId));
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), this.answerWaitMs);
    try {
      return { kind: 'done', result: await this.client.withAbortSignal(controller.signal, () => run(handle)) };
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return { kind: 'closed' };
      if (err instanceof WorkflowUpdateRPCTimeoutOrCancelledError || controller.signal.aborted) return { kind: 'pending' };
      if (err instanceof WorkflowUpdateFailedError) {
        const cause = err.cause;
        // The workflow's refusal, or a business failure of the refund activity: a reason code either way.
        const type = cause instanceof ApplicationFailure ? cause.type : cause?.cause instanceof ApplicationFailure ? cause.cause.type : null;
        if (type) return { kind: 'refused', reason: type };
      }
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }
}
