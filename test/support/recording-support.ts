import type { ReconcileAnswer, SupportWorkflows, UpdateAnswer } from '../../src/web/support/support-workflows';
import type { RefundOutcome, ResendOutcome, SupportRequest } from '../../src/workflows/contract';

/** Support's updates, recorded, each answered as the test sets it (tests without a Temporal server). */
export class RecordingSupport implements SupportWorkflows {
  readonly refunds: Array<{ faxId: string; request: SupportRequest }> = [];
  readonly resends: Array<{ faxId: string; request: SupportRequest }> = [];
  refundAnswer: UpdateAnswer<RefundOutcome> = { kind: 'done', result: { outcome: 'refunded', paymentState: 'refunded', amount: 257, currency: 'eur' } };
  resendAnswer: UpdateAnswer<ResendOutcome> = { kind: 'done', result: { outcome: 'resending', firstAttempt: 2, country: 'DE' } };
  reconciliations = 0;
  reconcileAnswer: ReconcileAnswer = 'triggered';

  async refund(faxId: string, request: SupportRequest): Promise<UpdateAnswer<RefundOutcome>> {
    this.refunds.push({ faxId, request });
    return this.refundAnswer;
  }

  async resend(faxId: string, request: SupportRequest): Promise<UpdateAnswer<ResendOutcome>> {
    this.resends.push({ faxId, request });
    return this.resendAnswer;
  }

  async reconcileNow(): Promise<ReconcileAnswer> {
    this.reconciliations++;
    return this.reconcileAnswer;
  }
}
