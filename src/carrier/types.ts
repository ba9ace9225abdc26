/**
 * What the fax workflow needs from the fax carrier. One implementation
 * (src/carrier/telnyx-carrier.ts) on the official `telnyx` library, pointed at Telnyx or,
 * in sandbox mode, at the offline carrier twin.
 */
export const CARRIER_STATUSES = ['queued', 'media.processed', 'originated', 'sending', 'delivered', 'failed'] as const;
export type CarrierStatus = (typeof CARRIER_STATUSES)[number];

export interface CarrierFax {
  id: string;
  status: CarrierStatus;
  to: string;
  /** The carrier's raw failure reason (e.g. `receiver_no_response`), when failed. */
  failureReason: string | null;
  pagesSent: number | null;
  callDurationSecs: number | null;
  /** Decoded `client_state`, when it is ours. */
  clientState: { faxId: string; attempt: number } | null;
  createdAt: Date;
}

export interface SubmitRequest {
  faxId: string;
  /** 1-based transmission number. */
  attempt: number;
  /** E.164 destination. */
  to: string;
  /** Signed, expiring URL of the fax PDF that the carrier downloads. */
  mediaUrl: string;
}

/**
 * Durable memory of which carrier fax belongs to which attempt. The carrier has no
 * idempotency key, so the adapter writes here as soon as it has an id, and reconciles
 * through the carrier's list when the ledger knows nothing.
 */
export interface SendLedger {
  /** The carrier fax id recorded for this attempt, if any. */
  recorded(faxId: string, attempt: number): Promise<string | null>;
  /** Marks that a submission is about to be made (so a crash after it can be reconciled). */
  submitting(faxId: string, attempt: number, at: Date): Promise<void>;
  /** When `submitting` was first called for this attempt, if ever. */
  submittingSince(faxId: string, attempt: number): Promise<Date | null>;
  record(faxId: string, attempt: number, carrierFaxId: string): Promise<void>;
}

/** A classified transmission outcome. */
export type FailureClass = 'retryable' | 'final';

export interface Carrier {
  /**
   * Transmits the attempt at most once: returns the already-recorded or reconciled fax when
   * one exists, otherwise submits and records it.
   */
  sendOnce(req: SubmitRequest, ledger: SendLedger): Promise<CarrierFax>;
  get(carrierFaxId: string): Promise<CarrierFax>;
  /** Cancels a fax that is queued or sending; a no-op for one already final. */
  cancel(carrierFaxId: string): Promise<CarrierFax>;
}

/** Everything a carrier webhook says, normalised. */
export interface CarrierEvent {
  eventId: string;
  carrierFaxId: string;
  status: CarrierStatus;
  occurredAt: Date;
  failureReason: string | null;
  pagesSent: number | null;
  callDurationSecs: number | null;
  clientState: { faxId: string; attempt: number } | null;
}
