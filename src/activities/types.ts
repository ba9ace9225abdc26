import type { FaxPolicy } from '../config/config';
import type { FaxStatus, PaymentState } from '../domain/status';
import type { CarrierUpdate } from '../workflows/definitions';

/** The policy numbers a fax workflow runs by, read once from configuration at its start. */
export type FaxPolicySnapshot = Pick<
  FaxPolicy,
  'paymentWindowMs' | 'maxTransmissions' | 'retryDelayMs' | 'retentionMs' | 'statusPollMs' | 'captureMarginMs'
>;

export interface Quote {
  pages: number;
  amount: number;
  currency: string;
}

export interface CheckoutOpened {
  checkoutSessionId: string;
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
}
