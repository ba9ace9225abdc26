import { ActivityFailure, allHandlersFinished, ApplicationFailure, CancellationScope, condition, isCancellation, patched } from '@temporalio/workflow';
import type { FaxStatus, PaymentState } from '../domain/status';
import type {
  AttemptState,
  CancelRequest,
  CarrierUpdate,
  CheckoutOffer,
  CheckoutOpened,
  FaxPolicySnapshot,
  FaxState,
  PaymentAuthorized,
  RefundOutcome,
  ResendOutcome,
  SupportRefusal,
  SupportRequest,
  TransmissionSnapshot,
} from './contract';
import { act, businessReason } from './fax-activities';
import { isFinal, newFaxState } from './fax-state';
import { FaxVisibility, SEARCH_ATTRIBUTES_PATCH } from './fax-visibility';
import { followTransmission } from './follow-transmission';
import { HoldGuard } from './hold-guard';
import { addUndoStep, undoAll, type UndoStep } from './undo';

/** How a fax ends: its final status and, unless delivered, the reason code. */
export interface Ending {
  status: FaxStatus;
  reason: string | null;
}

/** A resend support asked for, taken up by the retention phase; the update waits for its answer. */
interface PendingResend {
  request: SupportRequest;
  answer?: ResendOutcome;
  refusal?: string;
}

/**
 * The `patched()` id of opening the checkout when the sender asks to pay: faxes begun before
 * it opened theirs right after the conversion, and keep replaying so.
 */
export const CHECKOUT_ON_REQUEST_PATCH = 'checkout-on-request';

/** How many cancel decisions a fax keeps for the `cancelDecision` update. */
const CANCEL_DECISIONS_KEPT = 20;

function refusal(type: SupportRefusal | 'not_payable' | 'not_payable_yet' | 'unknown_cancel', message: string): ApplicationFailure {
  return ApplicationFailure.create({ type, message, nonRetryable: true });
}

/**
 * One fax's life, phase by phase, with the state the signals and the query work on. The
 * workflow function runs the phases in order; a phase returns an `Ending` when the fax ends
 * there, or null to go on.
 */
export class FaxProcess {
  readonly state: FaxState;
  /** Set by loadPolicy(), the first phase: the handlers are installed before it, so the policy cannot come in through the constructor. */
  private policy!: FaxPolicySnapshot;
  private payment: PaymentAuthorized | undefined;
  /** Only while the checkout is open; a payment after that is released. */
  private acceptingPayment = true;
  /** Epoch ms when the fax expires unpaid: the payment window from the quote on. */
  private payBy = 0;
  /** The checkout, once opened (or while it opens): asked again, it is the same one. */
  private checkout: Promise<CheckoutOpened> | undefined;
  /** Payment intents other than the accepted one: released, never used. */
  private readonly strayPayments: string[] = [];
  private cancelRequest: CancelRequest | undefined;
  /** The decisions on the latest cancel requests, by request id. */
  private readonly cancelDecisions = new Map<string, 'accepted' | 'refused'>();
  /** Until the first transmission is submitted, and between attempts, a cancel is honoured. */
  private cancellable = true;
  private readonly carrierUpdates: CarrierUpdate[] = [];
  private holdGuard: HoldGuard | undefined;
  private readonly undoSteps: UndoStep[] = [];
  private readonly visibility: FaxVisibility;
  /** The refund support asked for, while it runs: a second request waits for it instead of refunding again. */
  private refunding: Promise<void> | undefined;
  private resendRequest: PendingResend | undefined;
  /** Set once the retention is over: nothing more may be asked of the fax. */
  private purging = false;

  constructor(
    private readonly faxId: string,
    /** The destination country, for the Temporal UI; null for a fax started before the web passed it. */
    country: string | null,
  ) {
    this.state = newFaxState(faxId);
    this.visibility = new FaxVisibility(country, patched(SEARCH_ATTRIBUTES_PATCH));
    // A payment can be signalled from the start (a webhook may beat the checkout's own
    // bookkeeping), so releasing payments is the first undo step and runs last.
    addUndoStep(this.undoSteps, 'release payments', async () => {
      await this.settleUndelivered();
      await this.releaseStrays();
    });
  }

  // Signals

  onPaymentAuthorized(p: PaymentAuthorized): void {
    if (this.payment?.paymentIntentId === p.paymentIntentId || this.strayPayments.includes(p.paymentIntentId)) {
      this.state.duplicatePaymentSignals++;
    } else if (!this.payment && this.acceptingPayment) {
      this.payment = p;
    } else {
      this.strayPayments.push(p.paymentIntentId);
    }
  }

  onCancel(c: CancelRequest): void {
    const accept = this.cancelRequest !== undefined || (this.cancellable && !isFinal(this.state.status));
    if (accept && !this.cancelRequest) this.cancelRequest = c;
    if (accept) this.state.cancel = 'accepted';
    else if (this.state.cancel === 'none') this.state.cancel = 'refused';
    const outcome = accept ? 'accepted' : 'refused';
    if (c.requestId) {
      this.cancelDecisions.set(c.requestId, outcome);
      if (this.cancelDecisions.size > CANCEL_DECISIONS_KEPT) this.cancelDecisions.delete(this.cancelDecisions.keys().next().value as string);
    }
  }

  /**
   * The decision on cancel request `requestId` (the `cancelDecision` update), once its signal is
   * taken: the update may be handled first, in the same workflow task or the one before. Refused
   * with `unknown_cancel` if the signal never came before the documents are purged.
   */
  async cancelDecision(requestId: string): Promise<'accepted' | 'refused'> {
    await condition(() => this.cancelDecisions.has(requestId) || this.purging);
    const outcome = this.cancelDecisions.get(requestId);
    if (!outcome) throw refusal('unknown_cancel', `no cancel request ${requestId} came to this fax`);
    return outcome;
  }

  onCarrierEvent(u: CarrierUpdate): void {
    this.state.carrierEventsReceived++;
    this.carrierUpdates.push(u);
  }

  // Support's updates. Validators refuse what does not fit the fax's state, before anything is
  // written to the history; the handlers also hold when two requests race.

  // The sender's update

  validateCheckout(): void {
    if (this.state.status === 'converting' && this.acceptingPayment && !this.payment && !this.cancelRequest) {
      // The record may already show the quote (its activity ran) while this workflow has not yet
      // taken the activity's result: the sender is a moment early, not refused.
      throw refusal('not_payable_yet', 'the quote is being offered: ask again in a moment');
    }
    if (this.state.status !== 'awaiting_payment' || !this.acceptingPayment || this.payment || this.cancelRequest) {
      throw refusal('not_payable', `only a fax that awaits payment can be paid (this one is ${this.state.status}, payment ${this.state.paymentState})`);
    }
  }

  /** Opens the checkout on the sender's request, once: a second request gets the same one. */
  async onCheckout(): Promise<CheckoutOffer> {
    this.checkout ??= act.openCheckout(this.faxId, this.payBy).catch((err: unknown) => {
      // A checkout that could not open may be asked for again.
      this.checkout = undefined;
      throw err;
    });
    let opened = await this.checkout;
    // A fax begun before the patch opened its checkout at once, and its history may hold no
    // URL: the activity finds the open session on the fax again.
    if (!opened.url) opened = await act.openCheckout(this.faxId, this.payBy);
    if (!opened.url) throw refusal('not_payable', 'the payment provider gave the checkout no address');
    return { url: opened.url, payBy: new Date(this.payBy).toISOString() };
  }

  validateRefund(): void {
    if (this.purging) throw refusal('not_refundable', 'the fax is no longer kept');
    const paid = this.state.paymentState === 'captured' || this.state.paymentState === 'refunded';
    if (this.state.status !== 'delivered' || !paid) {
      throw refusal('not_refundable', `only a delivered fax that was paid for is refunded (this one is ${this.state.status}, payment ${this.state.paymentState})`);
    }
  }

  /** A full refund of a delivered fax. Asked twice, it refunds once: the second request answers `already_refunded`. */
  async onRefund(request: SupportRequest): Promise<RefundOutcome> {
    const first = this.refunding === undefined && this.state.paymentState !== 'refunded';
    if (first) this.refunding = this.refundOnce(request);
    if (this.refunding) await this.refunding;
    return {
      outcome: first ? 'refunded' : 'already_refunded',
      paymentState: this.state.paymentState,
      amount: this.state.amount,
      currency: this.state.currency,
    };
  }

  validateResend(): void {
    if (this.purging || this.state.purged) throw refusal('documents_purged', 'the documents are no longer kept');
    if (this.resendRequest || this.state.status !== 'failed' || this.state.attempts.length === 0) {
      throw refusal('not_resendable', `only a fax whose transmission failed is sent again (this one is ${this.state.status})`);
    }
  }

  /**
   * Sends a failed fax again to the corrected number recorded with the action, free of charge
   * (its hold was released). The retention phase does the work; this answers once the number
   * is on the fax and the transmission is queued.
   */
  async onResend(request: SupportRequest): Promise<ResendOutcome> {
    this.validateResend();
    const pending: PendingResend = { request };
    this.resendRequest = pending;
    await condition(() => pending.answer !== undefined || pending.refusal !== undefined);
    if (!pending.answer) throw refusal('not_resendable', pending.refusal ?? 'refused');
    return pending.answer;
  }

  // Phases

  /** The policy numbers the whole fax runs by, read once. */
  async loadPolicy(): Promise<void> {
    this.policy = await act.loadPolicy();
    this.show();
  }

  /** Convert (on `taskQueue` when given). A bad document ends here; nothing was charged. */
  async convert(taskQueue: string | undefined): Promise<Ending | null> {
    try {
      const quote = await act.convertDocument(this.faxId, taskQueue);
      this.state.pages = quote.pages;
      this.state.amount = quote.amount;
      this.state.currency = quote.currency;
      this.show();
    } catch (err) {
      // Failed every try without a reason (its process crashed, or its worker died, each time):
      // the fax ends too, so no upload is left converting with its workflow failed.
      const reason = businessReason(err) ?? (err instanceof ActivityFailure && !isCancellation(err) ? 'conversion_failed' : null);
      if (!reason) throw err;
      return { status: 'rejected', reason };
    }
    return this.cancelRequest ? this.cancelled() : null;
  }

  /**
   * The quote is offered: the sender may ask for the checkout (a card hold) until the payment
   * window ends, and the workflow waits for the payment signal. Faxes begun before the patch
   * opened their checkout at once.
   */
  async awaitPayment(): Promise<Ending | null> {
    this.payBy = Date.now() + this.policy.paymentWindowMs;
    if (patched(CHECKOUT_ON_REQUEST_PATCH)) {
      await act.setStatus(this.faxId, { status: 'awaiting_payment', payBy: this.payBy });
    } else {
      const opened = await act.openCheckout(this.faxId, this.payBy);
      this.checkout = Promise.resolve(opened);
      this.payBy = opened.expiresAt;
    }
    addUndoStep(this.undoSteps, 'close the checkout', () => this.closeOpenCheckout());
    this.moveTo('awaiting_payment');
    await condition(() => this.payment !== undefined || this.cancelRequest !== undefined, Math.max(1, this.payBy - Date.now()));
    this.acceptingPayment = false;
    if (!this.payment) {
      // The checkout closes first (one still opening, once open), so a payment racing the
      // deadline is caught and released.
      if (await this.checkoutOpened()) {
        const late = await act.closeCheckout(this.faxId);
        if (late.paymentIntentId) this.strayPayments.push(late.paymentIntentId);
      }
      return this.cancelRequest ? this.cancelled() : { status: 'expired', reason: 'payment_expired' };
    }
    this.state.paymentIntentId = this.payment.paymentIntentId;
    try {
      const confirmed = await act.confirmPayment(this.faxId, this.payment.paymentIntentId);
      this.paymentIs('authorized');
      this.state.holdDeadline = confirmed.captureBefore ? new Date(confirmed.captureBefore).toISOString() : null;
      if (confirmed.captureBefore) this.holdGuard = new HoldGuard(confirmed.captureBefore - this.policy.captureMarginMs, () => this.captureEarly());
    } catch (err) {
      const reason = businessReason(err);
      if (!reason) throw err;
      this.paymentIs('authorized');
      await this.settleUndelivered();
      return { status: 'failed', reason };
    }
    if (this.cancelRequest) {
      await this.stopHoldGuard();
      await this.settleUndelivered();
      return this.cancelled();
    }
    this.moveTo('queued');
    return null;
  }

  /**
   * Submit, follow, retry: busy lines, no answer and line errors are transmitted again after
   * the retry delay, up to the policy's limit. Returns the last transmission's outcome, or
   * null when none was made or the carrier refused the submission.
   */
  async transmit(first = 1): Promise<TransmissionSnapshot | null> {
    let outcome: TransmissionSnapshot | null = null;
    // A resend's attempts follow the earlier ones: numbers (and the carrier's idempotency keys) never repeat.
    const last = first + this.policy.maxTransmissions - 1;
    for (let attempt = first; attempt <= last; attempt++) {
      if (this.cancelRequest) break;
      this.cancellable = false;
      const record: AttemptState = { number: attempt, carrierFaxId: null, status: 'submitting', reason: null, retryable: null, pagesSent: null };
      this.state.attempts.push(record);
      let carrierFaxId: string;
      try {
        carrierFaxId = (await act.submitTransmission(this.faxId, attempt, last)).carrierFaxId;
      } catch (err) {
        const reason = businessReason(err);
        if (!reason) throw err;
        Object.assign(record, { status: 'failed', reason, retryable: false });
        this.state.failureReason = reason;
        return null;
      }
      record.carrierFaxId = carrierFaxId;
      record.status = 'queued';
      addUndoStep(this.undoSteps, `cancel transmission ${attempt}`, async () => {
        if (record.status === 'queued' || record.status === 'sending') await act.cancelTransmission(this.faxId, attempt, carrierFaxId);
      });
      this.moveTo('sending');
      outcome = await followTransmission(this.faxId, { attempt, of: last, carrierFaxId, record }, this.carrierUpdates);
      if (outcome.delivered || !outcome.retryable || attempt === last) break;
      this.cancellable = true;
      await this.setStatus('retrying', outcome.reason);
      await condition(() => this.cancelRequest !== undefined, this.policy.retryDelayMs);
    }
    return outcome;
  }

  /** Capture on delivery; otherwise release the hold (or refund an early capture). Not interruptible. */
  async settle(outcome: TransmissionSnapshot | null): Promise<Ending> {
    const delivered = outcome?.delivered === true;
    await CancellationScope.nonCancellable(async () => {
      await this.stopHoldGuard();
      if (delivered && this.state.paymentState === 'authorized') {
        this.paymentIs((await act.capturePayment(this.faxId, this.state.paymentIntentId!, 'delivered')).paymentState);
      } else if (!delivered) {
        await this.settleUndelivered();
      }
    });
    if (delivered) return { status: 'delivered', reason: null };
    if (this.cancelRequest) return this.cancelled();
    return { status: 'failed', reason: outcome?.reason ?? this.state.failureReason ?? 'carrier_error' };
  }

  /**
   * Final status, retention timer, purge. A payment that arrives while the fax is retained
   * (paid after it expired, say) is released at once; a resend support asks for meanwhile runs
   * here, and its outcome is the fax's new ending, retained anew.
   */
  async retainAndPurge(ending: Ending): Promise<FaxState> {
    this.acceptingPayment = false;
    let current: Ending | null = ending;
    while (current) {
      const { status, reason } = current;
      await CancellationScope.nonCancellable(async () => {
        await this.setStatus(status, reason);
        await this.releaseStrays();
      });
      current = await this.retain();
    }
    this.purging = true;
    await this.purge();
    // A refund answering its update finishes before the workflow does.
    await condition(allHandlersFinished);
    return this.state;
  }

  /** Keeps the documents until the retention ends (null), or until a resend has run (its ending). */
  private async retain(): Promise<Ending | null> {
    const purgeAt = Date.now() + this.policy.retentionMs;
    while (Date.now() < purgeAt) {
      await condition(() => this.strayPayments.length > 0 || this.resendRequest !== undefined, purgeAt - Date.now());
      await CancellationScope.nonCancellable(() => this.releaseStrays());
      const resent = this.resendRequest ? await this.resend(this.resendRequest) : null;
      if (resent) return resent;
    }
    return null;
  }

  /**
   * Support's resend: the corrected number goes on the fax, then it is transmitted again
   * (attempts numbered on from the earlier ones) and settled as usual, which charges nothing:
   * the hold was released when the fax failed. Null when the number could not be put on it.
   */
  private async resend(pending: PendingResend): Promise<Ending | null> {
    const { actionId, by } = pending.request;
    let country: string;
    try {
      ({ country } = await act.prepareResend(this.faxId, actionId, by));
    } catch (err) {
      // Whatever stopped it (the pages could not be rendered again, say), the fax stays failed and retained.
      if (!(err instanceof ActivityFailure) || isCancellation(err)) throw err;
      pending.refusal = businessReason(err) ?? 'not_resendable';
      this.resendRequest = undefined;
      return null;
    }
    const firstAttempt = this.state.attempts.length + 1;
    this.visibility.moveToCountry(country);
    this.state.supportActions.push({ actionId, kind: 'resend', by });
    this.state.failureReason = null;
    this.cancellable = true;
    this.moveTo('queued');
    pending.answer = { outcome: 'resending', firstAttempt, country };
    const ending = await this.settle(await this.transmit(firstAttempt));
    this.resendRequest = undefined;
    return ending;
  }

  /**
   * Cancelled from Temporal (support): undo what was done. A fax already final keeps its
   * outcome (a delivered fax stays paid); only its documents go.
   */
  async undo(): Promise<void> {
    await CancellationScope.nonCancellable(async () => {
      if (!isFinal(this.state.status)) {
        await this.stopHoldGuard();
        await undoAll(this.undoSteps);
        await this.setStatus('cancelled', 'cancelled_by_support');
      }
      await this.purge();
    });
  }

  // Steps shared by the phases

  private moveTo(status: FaxStatus): void {
    this.state.status = status;
    this.show();
  }

  private paymentIs(paymentState: PaymentState): void {
    this.state.paymentState = paymentState;
    this.show();
  }

  private show(): void {
    this.visibility.show(this.state, this.policy.maxTransmissions);
  }

  private cancelled(): Ending {
    return { status: 'cancelled', reason: this.cancelRequest?.by === 'support' ? 'cancelled_by_support' : 'cancelled_by_sender' };
  }

  private async setStatus(status: FaxStatus, failureReason: string | null): Promise<void> {
    const purgeAt = isFinal(status) ? Date.now() + this.policy.retentionMs : null;
    await act.setStatus(this.faxId, { status, failureReason, purgeAt });
    if (failureReason) this.state.failureReason = failureReason;
    this.moveTo(status);
  }

  /** Leaves the hold or the payment in the right end state for a fax that was not delivered. */
  private async settleUndelivered(): Promise<void> {
    const pi = this.state.paymentIntentId;
    if (!pi) return;
    if (this.state.paymentState === 'authorized') this.paymentIs((await act.releasePayment(this.faxId, pi)).paymentState);
    else if (this.state.paymentState === 'captured') this.paymentIs((await act.refundPayment(this.faxId, pi)).paymentState);
  }

  private async refundOnce({ actionId, by }: SupportRequest): Promise<void> {
    try {
      this.paymentIs((await act.supportRefund(this.faxId, this.state.paymentIntentId!, by)).paymentState);
      this.state.supportActions.push({ actionId, kind: 'refund', by });
    } finally {
      this.refunding = undefined;
    }
  }

  private async releaseStrays(): Promise<void> {
    while (this.strayPayments.length) await act.releasePayment(this.faxId, this.strayPayments.shift()!);
  }

  private async purge(): Promise<void> {
    await act.purgeDocuments(this.faxId);
    this.state.purged = true;
    this.show();
  }

  /** Whether a checkout was opened (waiting for one that is opening). */
  private async checkoutOpened(): Promise<boolean> {
    return this.checkout
      ? this.checkout.then(
          () => true,
          () => false,
        )
      : false;
  }

  /** While the fax awaits payment, its checkout is closed; a payment made meanwhile is kept to be released. */
  private async closeOpenCheckout(): Promise<void> {
    if (this.state.status !== 'awaiting_payment' || !(await this.checkoutOpened())) return;
    const late = await act.closeCheckout(this.faxId);
    if (late.paymentIntentId && late.paymentIntentId !== this.state.paymentIntentId) this.strayPayments.push(late.paymentIntentId);
    if (late.paymentIntentId && !this.state.paymentIntentId) {
      this.state.paymentIntentId = late.paymentIntentId;
      this.paymentIs('authorized');
    }
  }

  /** The hold guard's capture: only a hold still authorized is captured. */
  private async captureEarly(): Promise<void> {
    if (this.state.paymentState !== 'authorized' || !this.state.paymentIntentId) return;
    const result = await act.capturePayment(this.faxId, this.state.paymentIntentId, 'hold lapses');
    this.state.capturedEarly = result.done;
    this.paymentIs(result.paymentState);
  }

  private async stopHoldGuard(): Promise<void> {
    if (!this.holdGuard) return;
    await this.holdGuard.stop();
    this.holdGuard = undefined;
  }
}
