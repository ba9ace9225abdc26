import { ActivityCancellationType, ActivityFailure, ApplicationFailure, proxyActivities } from '@temporalio/workflow';
import type { CarrierUpdate, FaxActivities, StatusUpdate } from './contract';

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

/**
 * The upload's conversion heartbeats while it runs: a worker that dies under it is noticed
 * within the heartbeat timeout and the conversion tried again, instead of after the whole
 * five minutes (the crash storm left quotes waiting that long).
 */
const CONVERTING = {
  startToCloseTimeout: '5m',
  heartbeatTimeout: '30s',
  retry: { initialInterval: '5s', backoffCoefficient: 2, maximumAttempts: 3 },
} as const;
const converting = proxyActivities<FaxActivities>(CONVERTING);

/**
 * Submitting is safe to retry: the carrier adapter reconciles before it submits again. It
 * heartbeats too: a worker killed just after the carrier took the fax is noticed within 20 s,
 * not after the 2 minutes (the crash storm found a fax waiting those out).
 */
const submission = proxyActivities<FaxActivities>({
  startToCloseTimeout: '2m',
  heartbeatTimeout: '20s',
  retry: { initialInterval: '5s', backoffCoefficient: 2, maximumInterval: '2m' },
});

/**
 * The polling backstop: each attempt looks once and, while the transmission goes on, asks to be
 * retried after STATUS_POLL_INTERVAL (its own retry delay); cancelled as soon as a webhook tells
 * the outcome. Its timeouts date from when one attempt polled until the end, and stay as they
 * were for the faxes in flight.
 */
const watching = proxyActivities<FaxActivities>({
  startToCloseTimeout: '6h',
  heartbeatTimeout: '2m',
  cancellationType: ActivityCancellationType.TRY_CANCEL,
  retry: { initialInterval: '5s', backoffCoefficient: 2, maximumInterval: '1m' },
});

const words = (code: string): string => code.replace(/_/g, ' ');

/**
 * Every activity call of the fax workflow, each with the one-line summary the Temporal UI
 * shows for it. SDK 1.24 takes a summary per call only (`executeWithOptions`), and the
 * summaries name the attempt, so they are set here rather than on the proxies.
 */
export const act = {
  loadPolicy: () => steps.loadPolicy.executeWithOptions({ summary: 'read the fax policy' }, []),
  /** On the conversion task queue when the fax was started with one, on its own otherwise. */
  convertDocument: (faxId: string, taskQueue: string | undefined) =>
    (taskQueue ? proxyActivities<FaxActivities>({ ...CONVERTING, taskQueue }) : converting).convertDocument.executeWithOptions({ summary: 'convert document' }, [faxId]),
  openCheckout: (faxId: string, expiresAt: number) => steps.openCheckout.executeWithOptions({ summary: 'open checkout' }, [faxId, expiresAt]),
  closeCheckout: (faxId: string) => steps.closeCheckout.executeWithOptions({ summary: 'close checkout' }, [faxId]),
  confirmPayment: (faxId: string, paymentIntentId: string) => steps.confirmPayment.executeWithOptions({ summary: 'confirm card hold' }, [faxId, paymentIntentId]),
  setStatus: (faxId: string, update: StatusUpdate) => steps.setStatus.executeWithOptions({ summary: `record status: ${words(update.status)}` }, [faxId, update]),
  submitTransmission: (faxId: string, attempt: number, of: number) =>
    submission.submitTransmission.executeWithOptions({ summary: `transmission ${attempt} of ${of}` }, [faxId, attempt]),
  watchTransmission: (faxId: string, attempt: number, of: number, carrierFaxId: string) =>
    watching.watchTransmission.executeWithOptions({ summary: `follow transmission ${attempt} of ${of}` }, [faxId, attempt, carrierFaxId]),
  recordCarrierUpdate: (faxId: string, attempt: number, update: CarrierUpdate) =>
    steps.recordCarrierUpdate.executeWithOptions({ summary: `carrier report on transmission ${attempt}: ${update.status}` }, [faxId, attempt, update]),
  cancelTransmission: (faxId: string, attempt: number, carrierFaxId: string) =>
    steps.cancelTransmission.executeWithOptions({ summary: `cancel transmission ${attempt}` }, [faxId, carrierFaxId]),
  capturePayment: (faxId: string, paymentIntentId: string, why: 'delivered' | 'hold lapses') =>
    steps.capturePayment.executeWithOptions({ summary: why === 'delivered' ? 'capture payment' : 'capture payment before the card hold lapses' }, [faxId, paymentIntentId]),
  releasePayment: (faxId: string, paymentIntentId: string) => steps.releasePayment.executeWithOptions({ summary: 'release card hold' }, [faxId, paymentIntentId]),
  refundPayment: (faxId: string, paymentIntentId: string) => steps.refundPayment.executeWithOptions({ summary: 'refund payment' }, [faxId, paymentIntentId]),
  purgeDocuments: (faxId: string) => steps.purgeDocuments.executeWithOptions({ summary: 'purge documents' }, [faxId]),
  supportRefund: (faxId: string, paymentIntentId: string, by: string) =>
    steps.refundPayment.executeWithOptions({ summary: `refund payment, asked by support (${by})` }, [faxId, paymentIntentId]),
  // A cover page names the number: it may be rendered again, which takes the conversion's time budget.
  prepareResend: (faxId: string, actionId: string, by: string) =>
    conversion.prepareResend.executeWithOptions({ summary: `correct the number for a resend, asked by support (${by})` }, [faxId, actionId]),
};

/** The reason code of a business failure raised by an activity, or null for anything else. */
export function businessReason(err: unknown): string | null {
  if (err instanceof ActivityFailure && err.cause instanceof ApplicationFailure && err.cause.nonRetryable && err.cause.type) {
    return err.cause.type;
  }
  return null;
}
