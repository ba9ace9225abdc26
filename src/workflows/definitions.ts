import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { FaxStatus, PaymentState } from '../domain/status';

/** Workflow ids are deterministic: one workflow per fax, `fax-<uuid>`. */
export const faxWorkflowId = (faxId: string): string => `fax-${faxId}`;
export const FAX_WORKFLOW_TYPE = 'faxWorkflow';

/** Inputs carry ids only: documents, numbers and tokens stay in PostgreSQL. */
export interface FaxWorkflowInput {
  faxId: string;
}

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
  /** The decision on the most recent cancel request. */
  lastCancel: { requestId: string | null; outcome: 'accepted' | 'refused' } | null;
  purged: boolean;
  /** Carrier events received, duplicates included (for support: how many webhooks arrived). */
  carrierEventsReceived: number;
  duplicatePaymentSignals: number;
}

export const stateQuery = defineQuery<FaxState>('state');
