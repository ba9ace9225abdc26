import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { CarrierEvent } from '../carrier/types';
import { carrierEventSignal, faxWorkflowId, paymentAuthorizedSignal } from '../workflows/contract';
import type { PaymentAuthorized } from '../workflows/contract';
import type { FaxSignals, SignalOutcome } from './fax-signals';

/**
 * Signals fax workflows through the Temporal client; a workflow that no longer runs is
 * `closed`. Each signal has a deadline, so a webhook is answered 503 (and sent again by its
 * provider) rather than held while Temporal does not answer.
 */
export class TemporalFaxSignals implements FaxSignals {
  constructor(
    private readonly client: Client,
    /** How long one signal may take. */
    private readonly deadlineMs: number,
  ) {}

  private async send(faxId: string, fn: (handle: ReturnType<Client['workflow']['getHandle']>) => Promise<void>): Promise<SignalOutcome> {
    try {
      await this.client.withDeadline(Date.now() + this.deadlineMs, () => fn(this.client.workflow.getHandle(faxWorkflowId(faxId))));
      return 'delivered';
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return 'closed';
      throw err;
    }
  }

  paymentAuthorized(faxId: string, signal: PaymentAuthorized): Promise<SignalOutcome> {
    return this.send(faxId, (h) => h.signal(paymentAuthorizedSignal, signal));
  }

  carrierEvent(faxId: string, event: CarrierEvent): Promise<SignalOutcome> {
    return this.send(faxId, (h) =>
      h.signal(carrierEventSignal, {
        eventId: event.eventId,
        carrierFaxId: event.carrierFaxId,
        status: event.status,
        failureReason: event.failureReason,
        pagesSent: event.pagesSent,
        callDurationSecs: event.callDurationSecs,
        occurredAt: event.occurredAt.toISOString(),
      }),
    );
  }
}
