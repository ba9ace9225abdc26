import { FINAL_FAX_STATUSES, type FaxStatus } from '../domain/status';
import type { FaxState } from './contract';

/** A fax as its workflow begins: converting, unpaid, nothing sent. */
export function newFaxState(faxId: string): FaxState {
  return {
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
    purged: false,
    carrierEventsReceived: 0,
    duplicatePaymentSignals: 0,
    supportActions: [],
  };
}

export function isFinal(status: FaxStatus): boolean {
  return FINAL_FAX_STATUSES.includes(status);
}
