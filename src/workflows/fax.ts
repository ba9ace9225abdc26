import {
  ActivityCancellationType,
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  condition,
  isCancellation,
  proxyActivities,
  setHandler,
  sleep,
} from '@temporalio/workflow';
import type { FaxActivities, TransmissionSnapshot } from './contract';
import { FINAL_FAX_STATUSES, type FaxStatus } from '../domain/status';
import {
  cancelSignal,
  carrierEventSignal,
  paymentAuthorizedSignal,
  stateQuery,
  type AttemptState,
  type CancelRequest,
  type CarrierUpdate,
  type FaxState,
  type FaxWorkflowInput,
  type PaymentAuthorized,
} from './contract';

/** Database and payment steps: short, retried until they work (they are idempotent). */
const steps = proxyActivities<FaxActivities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m' },
});

/** Conversion is CPU work with its own time budget; a failure after three tries is a bug, not the document. */
const conversion = proxyActivities<FaxActivities>({
  startToCloseTimeout: '5m',
  retry: { initialInterval: '5s', backoffCoefficient: 2, maximumAttempts: 3 },
});

/** Submitting is safe to retry: the carrier adapter reconciles before it submits again. */
const submission = proxyActivities<FaxActivities>({
  startToCloseTimeout: '2m',
  retry: { initialInterval: '5s', backoffCoefficient: 2, maximumInterval: '2m' },
});

/** The polling backstop: long-running, heartbeating, cancelled as soon as a webhook tells the outcome. */
const watching = proxyActivities<FaxActivities>({
  startToCloseTimeout: '6h',
  heartbeatTimeout: '2m',
  cancellationType: ActivityCancellationType.TRY_CANCEL,
  retry: { initialInterval: '5s', backoffCoefficient: 2, maximumInterval: '1m' },
});

/** The reason code of a business failure raised by an activity, or null for anything else. */
function businessReason(err: unknown): string | null {
  if (err instanceof ActivityFailure && err.cause instanceof ApplicationFailure && err.cause.nonRetryable && err.cause.type) {
    return err.cause.type;
  }
  return null;
}

/**
 * One fax from upload to purge: convert → await payment → send with retries → capture or
 * release → retain → purge. Inputs carry the fax id only; activities read and write
 * PostgreSQL and talk to the providers.
 */
export async function faxWorkflow({ faxId }: FaxWorkflowInput): Promise<FaxState> {
  const state: FaxState = {
    faxId,
    status: 'converting',
    paymentState: 'none',
    pages: null,
    amount: null,
    currency: null,
    paymentIntentId: null,
    holdDeadline: null,
    capturedEarly: false,
    attempts: [],
    failureReason: null,
    cancel: 'none',
    lastCancel: null,
    purged: false,
    carrierEventsReceived: 0,
    duplicatePaymentSignals: 0,
  };
  let payment: PaymentAuthorized | undefined;
  /** Only while the checkout is open; a payment after that is released. */
  let acceptingPayment = true;
  /** Payment intents other than the accepted one: released, never used. */
  const strayPayments: string[] = [];
  let cancelRequest: CancelRequest | undefined;
  /** Until the first transmission is submitted, and between attempts, a cancel is honoured. */
  let cancellable = true;
  const carrierUpdates: CarrierUpdate[] = [];

  setHandler(stateQuery, () => state);
  setHandler(paymentAuthorizedSignal, (p) => {
    if (payment?.paymentIntentId === p.paymentIntentId || strayPayments.includes(p.paymentIntentId)) {
      state.duplicatePaymentSignals++;
    } else if (!payment && acceptingPayment) {
      payment = p;
    } else {
      strayPayments.push(p.paymentIntentId);
    }
  });
  setHandler(cancelSignal, (c) => {
    const accept = cancelRequest !== undefined || (cancellable && !isFinal(state.status));
    if (accept && !cancelRequest) cancelRequest = c;
    if (accept) state.cancel = 'accepted';
    else if (state.cancel === 'none') state.cancel = 'refused';
    state.lastCancel = { requestId: c.requestId ?? null, outcome: accept ? 'accepted' : 'refused' };
  });
  setHandler(carrierEventSignal, (u) => {
    state.carrierEventsReceived++;
    carrierUpdates.push(u);
  });

  const policy = await steps.loadPolicy();
  const cancelReason = (): string => (cancelRequest?.by === 'support' ? 'cancelled_by_support' : 'cancelled_by_sender');

  const setStatus = async (status: FaxStatus, failureReason: string | null = null): Promise<void> => {
    const purgeAt = isFinal(status) ? Date.now() + policy.retentionMs : null;
    await steps.setStatus(faxId, { status, failureReason, purgeAt });
    state.status = status;
    if (failureReason) state.failureReason = failureReason;
  };

  /** Leaves the hold or the payment in the right end state for a fax that was not delivered. */
  const settleUndelivered = async (): Promise<void> => {
    const pi = state.paymentIntentId;
    if (!pi) return;
    if (state.paymentState === 'authorized') state.paymentState = (await steps.releasePayment(faxId, pi)).paymentState;
    else if (state.paymentState === 'captured') state.paymentState = (await steps.refundPayment(faxId, pi)).paymentState;
  };

  const releaseStrays = async (): Promise<void> => {
    while (strayPayments.length) await steps.releasePayment(faxId, strayPayments.shift()!);
  };

  /**
   * Final status, then the retention timer, then the purge. A payment that arrives while
   * the fax is retained (paid after it expired, say) is released at once.
   */
  const finish = async (status: FaxStatus, reason: string | null): Promise<FaxState> => {
    acceptingPayment = false;
    await CancellationScope.nonCancellable(async () => {
      await setStatus(status, reason);
      await releaseStrays();
    });
    const purgeAt = Date.now() + policy.retentionMs;
    while (Date.now() < purgeAt) {
      await condition(() => strayPayments.length > 0, purgeAt - Date.now());
      await CancellationScope.nonCancellable(releaseStrays);
    }
    await purge();
    return state;
  };

  const purge = async (): Promise<void> => {
    await steps.purgeDocuments(faxId);
    state.purged = true;
  };

  let holdGuard: { scope: CancellationScope; done: Promise<void> } | undefined;
  const stopHoldGuard = async (): Promise<void> => {
    if (!holdGuard) return;
    holdGuard.scope.cancel();
    await holdGuard.done;
    holdGuard = undefined;
  };

  try {
    // 1. Convert. A bad document ends here; nothing was charged.
    try {
      const quote = await conversion.convertDocument(faxId);
      state.pages = quote.pages;
      state.amount = quote.amount;
      state.currency = quote.currency;
    } catch (err) {
      const reason = businessReason(err);
      if (!reason) throw err;
      return await finish('rejected', reason);
    }
    if (cancelRequest) return await finish('cancelled', cancelReason());

    // 2. Await payment within the window.
    const checkout = await steps.openCheckout(faxId, Date.now() + policy.paymentWindowMs);
    state.status = 'awaiting_payment';
    await condition(() => payment !== undefined || cancelRequest !== undefined, Math.max(1, checkout.expiresAt - Date.now()));
    acceptingPayment = false;
    if (!payment) {
      // The checkout closes first, so a payment racing the deadline is caught and released.
      const late = await steps.closeCheckout(faxId);
      if (late.paymentIntentId) strayPayments.push(late.paymentIntentId);
      return await finish(cancelRequest ? 'cancelled' : 'expired', cancelRequest ? cancelReason() : 'payment_expired');
    }
    const paymentIntentId = payment.paymentIntentId;
    state.paymentIntentId = paymentIntentId;
    try {
      const confirmed = await steps.confirmPayment(faxId, paymentIntentId);
      state.paymentState = 'authorized';
      state.holdDeadline = confirmed.captureBefore ? new Date(confirmed.captureBefore).toISOString() : null;
      if (confirmed.captureBefore) holdGuard = startHoldGuard(confirmed.captureBefore);
    } catch (err) {
      const reason = businessReason(err);
      if (!reason) throw err;
      state.paymentState = 'authorized';
      await settleUndelivered();
      return await finish('failed', reason);
    }
    if (cancelRequest) {
      await stopHoldGuard();
      await settleUndelivered();
      return await finish('cancelled', cancelReason());
    }
    state.status = 'queued';

    // 3. Send, follow, retry.
    let outcome: TransmissionSnapshot | null = null;
    for (let attempt = 1; attempt <= policy.maxTransmissions; attempt++) {
      if (cancelRequest) break;
      cancellable = false;
      const record: AttemptState = { number: attempt, carrierFaxId: null, status: 'submitting', reason: null, retryable: null, pagesSent: null };
      state.attempts.push(record);
      let carrierFaxId: string;
      try {
        carrierFaxId = (await submission.submitTransmission(faxId, attempt)).carrierFaxId;
      } catch (err) {
        const reason = businessReason(err);
        if (!reason) throw err;
        Object.assign(record, { status: 'failed', reason, retryable: false });
        outcome = null;
        state.failureReason = reason;
        break;
      }
      record.carrierFaxId = carrierFaxId;
      record.status = 'queued';
      state.status = 'sending';
      outcome = await followTransmission(attempt, carrierFaxId, record);
      if (outcome.delivered || !outcome.retryable || attempt === policy.maxTransmissions) break;
      cancellable = true;
      await setStatus('retrying', outcome.reason);
      await condition(() => cancelRequest !== undefined, policy.retryDelayMs);
    }

    // 4. Capture on delivery; otherwise release (or refund an early capture). Not interruptible.
    const delivered = outcome?.delivered === true;
    await CancellationScope.nonCancellable(async () => {
      await stopHoldGuard();
      if (delivered && state.paymentState === 'authorized') {
        state.paymentState = (await steps.capturePayment(faxId, paymentIntentId)).paymentState;
      } else if (!delivered) {
        await settleUndelivered();
      }
    });
    if (delivered) return await finish('delivered', null);
    if (cancelRequest) return await finish('cancelled', cancelReason());
    return await finish('failed', outcome?.reason ?? state.failureReason ?? 'carrier_error');
  } catch (err) {
    if (!isCancellation(err)) throw err;
    // Cancelled from Temporal (support): undo what was done, whatever the cancellation interrupted.
    // A fax already final keeps its outcome (a delivered fax stays paid); only its documents go.
    await CancellationScope.nonCancellable(async () => {
      if (isFinal(state.status)) {
        await purge();
        return;
      }
      await stopHoldGuard();
      const inFlight = state.attempts.at(-1);
      if (inFlight?.carrierFaxId && (inFlight.status === 'queued' || inFlight.status === 'sending')) {
        await steps.cancelTransmission(faxId, inFlight.carrierFaxId);
      }
      if (state.status === 'awaiting_payment') {
        const late = await steps.closeCheckout(faxId);
        if (late.paymentIntentId && late.paymentIntentId !== state.paymentIntentId) strayPayments.push(late.paymentIntentId);
        if (late.paymentIntentId && !state.paymentIntentId) {
          state.paymentIntentId = late.paymentIntentId;
          state.paymentState = 'authorized';
        }
      }
      await settleUndelivered();
      await releaseStrays();
      if (!isFinal(state.status)) await setStatus('cancelled', 'cancelled_by_support');
      await purge();
    });
    throw err;
  }

  /** Captures before the hold's deadline when the fax is still not final by then. */
  function startHoldGuard(captureBefore: number): { scope: CancellationScope; done: Promise<void> } {
    const scope = new CancellationScope();
    const done = scope
      .run(async () => {
        await sleep(Math.max(0, captureBefore - policy.captureMarginMs - Date.now()));
        await CancellationScope.nonCancellable(async () => {
          if (state.paymentState !== 'authorized' || !state.paymentIntentId) return;
          const result = await steps.capturePayment(faxId, state.paymentIntentId);
          state.paymentState = result.paymentState;
          state.capturedEarly = result.done;
        });
      })
      .catch((err: unknown) => {
        if (!isCancellation(err)) throw err;
      });
    return { scope, done };
  }

  /**
   * Follows one transmission until final: carrier webhooks (signals) usually tell first;
   * the polling activity is the backstop and is cancelled once the outcome is known.
   */
  async function followTransmission(attempt: number, carrierFaxId: string, record: AttemptState): Promise<TransmissionSnapshot> {
    let polled: TransmissionSnapshot | undefined;
    let pollError: Error | undefined;
    const scope = new CancellationScope();
    const poll = scope
      .run(() => watching.watchTransmission(faxId, attempt, carrierFaxId))
      .then(
        (s) => {
          polled = s;
        },
        (err: unknown) => {
          if (!isCancellation(err)) pollError = err instanceof Error ? err : new Error(String(err));
        },
      );
    let final: TransmissionSnapshot | undefined;
    while (!final) {
      await condition(() => carrierUpdates.length > 0 || polled !== undefined || pollError !== undefined);
      if (polled) {
        final = polled;
        break;
      }
      if (pollError) throw pollError;
      const update = carrierUpdates.shift()!;
      // Reports about an earlier attempt's transmission change nothing now.
      if (update.carrierFaxId !== carrierFaxId) continue;
      const snapshot = await steps.recordCarrierUpdate(faxId, attempt, update);
      applySnapshot(record, snapshot);
      if (snapshot.final) final = snapshot;
    }
    scope.cancel();
    await poll;
    applySnapshot(record, final);
    return final;
  }
}

function applySnapshot(record: AttemptState, s: TransmissionSnapshot): void {
  record.pagesSent = s.pagesSent ?? record.pagesSent;
  if (s.final) {
    record.status = s.delivered ? 'delivered' : 'failed';
    record.reason = s.reason;
    record.retryable = s.delivered ? null : s.retryable;
  } else if (s.status === 'sending' || s.status === 'originated') {
    record.status = 'sending';
  }
}

function isFinal(status: FaxStatus): boolean {
  return FINAL_FAX_STATUSES.includes(status);
}
