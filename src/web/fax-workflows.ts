import { randomUUID } from 'node:crypto';
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import {
  cancelDecisionUpdate,
  cancelSignal,
  checkoutUpdate,
  conversionTaskQueueOf,
  FAX_WORKFLOW_TYPE,
  faxWorkflowId,
  stateQuery,
  type CheckoutOffer,
  type FaxState,
} from '../workflows/contract';

export type CancelDecision = 'accepted' | 'refused' | 'pending';

/** What the web tier does to fax workflows. */
export interface FaxWorkflows {
  /** Starts the fax's workflow; starting one that already runs (a retried request) is success. */
  start(faxId: string, summary: { country: string }): Promise<void>;
  /** Asks the workflow to cancel and waits briefly for its decision. */
  cancel(faxId: string, by: 'sender' | 'support'): Promise<CancelDecision>;
  state(faxId: string): Promise<FaxState | null>;
  /** The checkout to pay the fax at (opened on this request, or the one opened before); null when the fax cannot be paid now. */
  checkout(faxId: string): Promise<CheckoutOffer | null>;
}

/**
 * Fax workflows through the Temporal client. Every call has a deadline: a Temporal that does
 * not answer in time (frozen, overloaded, cut off) fails the call instead of holding the
 * request, and the web answers 503.
 */
export class TemporalFaxWorkflows implements FaxWorkflows {
  constructor(
    private readonly client: Client,
    private readonly taskQueue: string,
    /** How long one call to Temporal may take. */
    private readonly deadlineMs: number,
    private readonly decisionWaitMs = 5_000,
  ) {}

  private within<T>(call: () => Promise<T>): Promise<T> {
    return this.client.withDeadline(Date.now() + this.deadlineMs, call);
  }

  async start(faxId: string, summary: { country: string }): Promise<void> {
    try {
      await this.within(() =>
        this.client.workflow.start(FAX_WORKFLOW_TYPE, {
          taskQueue: this.taskQueue,
          workflowId: faxWorkflowId(faxId),
          args: [{ faxId, country: summary.country, conversionTaskQueue: conversionTaskQueueOf(this.taskQueue) }],
          workflowIdConflictPolicy: 'USE_EXISTING',
          workflowIdReusePolicy: 'REJECT_DUPLICATE',
          // For support in the Temporal UI: ids and the destination country, no personal data.
          // Pages, price and the current step follow in the workflow's current details.
          memo: { faxId, country: summary.country },
          staticSummary: `Fax ${faxId} to ${summary.country}`,
          staticDetails: [
            `**Fax** ${faxId}`,
            `**Destination:** ${summary.country} (the number and the document stay in Durafax's database)`,
            '**Pages, price and current step:** in the current details',
          ].join('\n\n'),
        }),
      );
    } catch (err) {
      // The fax already ran to its end once: nothing to start again.
      if (err instanceof WorkflowExecutionAlreadyStartedError) return;
      throw err;
    }
  }

  async cancel(faxId: string, by: 'sender' | 'support'): Promise<CancelDecision> {
    const handle = this.client.workflow.getHandle(faxWorkflowId(faxId));
    const requestId = randomUUID();
    try {
      await this.within(() => handle.signal(cancelSignal, { by, requestId }));
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return 'refused';
      throw err;
    }
    // The signal is in the fax's history: whatever happens now, the workflow takes it. Its
    // decision comes back in one update, when the workflow runs next; a workflow that does not
    // run within the wait (its worker down or busy) leaves the answer pending.
    try {
      return await this.client.withDeadline(Date.now() + this.decisionWaitMs, () => handle.executeUpdate(cancelDecisionUpdate, { args: [requestId] }));
    } catch {
      return 'pending';
    }
  }

  /**
   * The fax's checkout, opened by its workflow; null if the fax cannot be paid. Asked as soon as
   * the record shows the quote, the workflow may not have offered it yet (`not_payable_yet`):
   * asked again every 100 ms for up to `decisionWaitMs`.
   */
  async checkout(faxId: string): Promise<CheckoutOffer | null> {
    const handle = this.client.workflow.getHandle(faxWorkflowId(faxId));
    const deadline = Date.now() + this.decisionWaitMs;
    for (;;) {
      try {
        // Opening the checkout asks Stripe, through an activity: more than one plain call's time.
        return await this.client.withDeadline(Date.now() + 3 * this.deadlineMs, () => handle.executeUpdate(checkoutUpdate));
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) return null;
        const refused = err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure ? err.cause.type : undefined;
        if (refused === 'not_payable') return null;
        if (refused !== 'not_payable_yet') throw err;
        if (Date.now() >= deadline) return null;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  async state(faxId: string): Promise<FaxState | null> {
    try {
      return await this.within(() => this.client.workflow.getHandle(faxWorkflowId(faxId)).query(stateQuery));
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return null;
      throw err;
    }
  }
}
