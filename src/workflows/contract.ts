import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { FaxPolicy } from '../config/config';
import type { FaxStatus, PaymentState } from '../domain/status';

/**
 * The contract between a fax's workflow and everything around it: its id and input, the
 * signals and the query the web tier sends, and the activities the worker provides. Both
 * sides import it; it imports nothing with I/O.
 */

/** Workflow ids are deterministic: one workflow per fax, `fax-<uuid>`. */
export const faxWorkflowId = (faxId: string): string => `fax-${faxId}`;
export const FAX_WORKFLOW_TYPE = 'faxWorkflow';

/** Inputs carry ids only: documents, numbers and tokens stay in PostgreSQL. */
export interface FaxWorkflowInput {
  faxId: string;
  /**
   * The destination's ISO country code (never the number), shown to support in the Temporal
   * UI. Absent for faxes started before the web passed it.
   */
  country?: string;
  /**
   * The task queue the document's conversion runs on (`conversionTaskQueueOf` the fax's own):
   * a worker serves it with as many slots as it converts at once, so conversions waiting for a
   * core wait in Temporal, not in the slots that payments and status writes need. Absent for
   * faxes started before the web passed it: they convert on the fax's own queue.
   */
  conversionTaskQueue?: string;
}

/** The conversion task queue beside a fax task queue. */
export const conversionTaskQueueOf = (taskQueue: string): string => `${taskQueue}-conversion`;

export interface PaymentAuthorized {
  paymentIntentId: string;
  checkoutSessionId: string;
  source: 'webhook' | 'redirect';
}

/** A carrier status report, from a webhook (or the support tools). JSON-safe. */
export interface CarrierUpdate {
  eventId: string;
  carrierFaxId: string;
  status: 'queued' | 'media.processed' | 'originated' | 'sending' | 'delivered' | 'failed';
  failureReason: string | null;
  pagesSent: number | null;
  callDurationSecs: number | null;
  /** ISO timestamp of the event at the carrier. */
  occurredAt: string;
}

export interface CancelRequest {
  by: 'sender' | 'support';
  /** Lets the requester find the decision on its own request in the state query. */
  requestId?: string;
}

export const paymentAuthorizedSignal = defineSignal<[PaymentAuthorized]>('paymentAuthorized');
export const carrierEventSignal = defineSignal<[CarrierUpdate]>('carrierEvent');
export const cancelSignal = defineSignal<[CancelRequest]>('cancel');

/**
 * The decision on the cancel request sent by `cancelSignal` with this `requestId`, in one round
 * trip: asked right after the signal, it answers as soon as the workflow has taken the signal
 * (which may reach the workflow after the update). Refused with `unknown_cancel` if that signal
 * never comes while the fax is kept, or for one of the fax's earlier cancels (it keeps the
 * last 20 decisions).
 */
export const cancelDecisionUpdate = defineUpdate<'accepted' | 'refused', [string]>('cancelDecision');

/** The sender's way to pay: the checkout page, and until when the fax can be paid. */
export interface CheckoutOffer {
  url: string;
  /** ISO time after which the fax expires unpaid. */
  payBy: string;
}

/**
 * Opens the fax's checkout when the sender asks to pay (the Pay button, or the API's
 * `POST /api/faxes/:id/checkout`), not for every upload: a Stripe session for each upload
 * would cost every unpaid fax a call to Stripe. Asked again, the same checkout. Refused with
 * `not_payable` unless the fax awaits payment, and with `not_payable_yet` while it is still
 * converting (the record shows the quote a moment before the workflow offers it: ask again).
 */
export const checkoutUpdate = defineUpdate<CheckoutOffer, []>('checkout');

export interface AttemptState {
  number: number;
  carrierFaxId: string | null;
  status: 'submitting' | 'queued' | 'sending' | 'delivered' | 'failed' | 'cancelled';
  reason: string | null;
  retryable: boolean | null;
  pagesSent: number | null;
}

/** The live state of a fax as the workflow sees it: for support and tests, not page views. */
export interface FaxState {
  faxId: string;
  status: FaxStatus;
  paymentState: PaymentState;
  pages: number | null;
  amount: number | null;
  currency: string | null;
  paymentIntentId: string | null;
  holdDeadline: string | null;
  capturedEarly: boolean;
  attempts: AttemptState[];
  failureReason: string | null;
  /** What happened to a cancel request: none, accepted, or refused because transmission had started. */
  cancel: 'none' | 'accepted' | 'refused';
  purged: boolean;
  /** Carrier events received, duplicates included (for support: how many webhooks arrived). */
  carrierEventsReceived: number;
  duplicatePaymentSignals: number;
  /** Refunds and resends support asked for and the workflow took up, oldest first. */
  supportActions: SupportActionState[];
}

export const stateQuery = defineQuery<FaxState>('state');

// Support actions (updates)

/**
 * A support action asked of the workflow: the id of its row in the audit log and the support
 * user's name. The reason, and a resend's corrected number, stay in PostgreSQL.
 */
export interface SupportRequest {
  actionId: string;
  by: string;
}

/** A support action the workflow has taken, in its state for support to see. */
export interface SupportActionState {
  actionId: string;
  kind: 'refund' | 'resend';
  by: string;
}

export interface RefundOutcome {
  /** Refunded by this request, or `already_refunded` by an earlier one (or in the dashboard). */
  outcome: 'refunded' | 'already_refunded';
  paymentState: PaymentState;
  /** The whole amount paid, given back. */
  amount: number | null;
  currency: string | null;
}

export interface ResendOutcome {
  outcome: 'resending';
  /** The number of the resend's first transmission attempt (they follow the earlier ones). */
  firstAttempt: number;
  /** The corrected number's country. */
  country: string;
}

/**
 * Why the workflow refused a support action: the `type` of the update's ApplicationFailure.
 * A refund needs a delivered fax whose payment was captured; a resend a fax that failed in
 * transmission and whose documents are still kept.
 */
export const SUPPORT_REFUSALS = ['not_refundable', 'not_resendable', 'documents_purged'] as const;
export type SupportRefusal = (typeof SUPPORT_REFUSALS)[number];

/** Refunds a delivered fax in full (runs the refund activity and answers with the result). */
export const refundUpdate = defineUpdate<RefundOutcome, [SupportRequest]>('refund');
/** Sends a failed fax again, free of charge, to the corrected number recorded with the action. */
export const resendUpdate = defineUpdate<ResendOutcome, [SupportRequest]>('resend');

// Activities
/** The policy numbers a fax workflow runs by, read once from configuration at its start. */
export type FaxPolicySnapshot = Pick<FaxPolicy, 'paymentWindowMs' | 'maxTransmissions' | 'retryDelayMs' | 'retentionMs' | 'statusPollMs' | 'captureMarginMs'>;

export interface Quote {
  pages: number;
  amount: number;
  currency: string;
}

export interface CheckoutOpened {
  checkoutSessionId: string;
  /** Where the sender pays; absent in the results of faxes whose checkout opened before the sender asked for it. */
  url?: string | null;
  /** Epoch ms after which the checkout can no longer be paid. */
  expiresAt: number;
}

export interface PaymentConfirmed {
  /** Epoch ms of the hold's capture deadline, when Stripe reports one. */
  captureBefore: number | null;
}

/** A carrier status snapshot, classified by the activity (the workflow knows no carrier codes). */
export interface TransmissionSnapshot {
  carrierFaxId: string;
  status: CarrierUpdate['status'];
  final: boolean;
  delivered: boolean;
  /** For failures: may another transmission succeed? */
  retryable: boolean;
  /** Durafax reason code for failures. */
  reason: string | null;
  pagesSent: number | null;
}

export interface StatusUpdate {
  status: FaxStatus;
  /** Epoch ms until which the fax can be paid (set when it starts to await payment). */
  payBy?: number;
  failureReason?: string | null;
  /** Epoch ms when documents will be purged (set when the fax becomes final). */
  purgeAt?: number | null;
}

export interface PaymentResult {
  paymentState: PaymentState;
  /** False when the provider could not do it because the hold had already lapsed. */
  done: boolean;
}

/** Every activity of the fax workflow. Each is idempotent: keys come from the fax id and the step. */
export interface FaxActivities {
  loadPolicy(): Promise<FaxPolicySnapshot>;
  convertDocument(faxId: string): Promise<Quote>;
  openCheckout(faxId: string, expiresAt: number): Promise<CheckoutOpened>;
  /** Makes the checkout unpayable; returns a payment intent that was authorized in the meantime, if any. */
  closeCheckout(faxId: string): Promise<{ paymentIntentId: string | null }>;
  confirmPayment(faxId: string, paymentIntentId: string): Promise<PaymentConfirmed>;
  setStatus(faxId: string, update: StatusUpdate): Promise<void>;
  submitTransmission(faxId: string, attempt: number): Promise<{ carrierFaxId: string }>;
  /** Polls the carrier until the transmission is final, heartbeating; the backstop for lost webhooks. */
  watchTransmission(faxId: string, attempt: number, carrierFaxId: string): Promise<TransmissionSnapshot>;
  /** Records a carrier report on the attempt (never moving a final status back) and classifies it. */
  recordCarrierUpdate(faxId: string, attempt: number, update: CarrierUpdate): Promise<TransmissionSnapshot>;
  cancelTransmission(faxId: string, carrierFaxId: string): Promise<void>;
  capturePayment(faxId: string, paymentIntentId: string): Promise<PaymentResult>;
  releasePayment(faxId: string, paymentIntentId: string): Promise<PaymentResult>;
  refundPayment(faxId: string, paymentIntentId: string): Promise<PaymentResult>;
  purgeDocuments(faxId: string): Promise<number>;
  /**
   * Puts a resend's corrected number (recorded with its support action) on the fax and, when
   * the fax has a cover page naming the number, renders its pages again. Returns the number's country.
   */
  prepareResend(faxId: string, actionId: string): Promise<{ country: string }>;
}
