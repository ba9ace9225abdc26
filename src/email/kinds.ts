import type { Fax } from '../db/entities/fax';
import type { FaxStatus } from '../domain/status';

/**
 * Whether a fax that has just reached `status` gets a receipt: when it was delivered or
 * failed, when its document was refused (the sender learns why), and when it was cancelled or
 * expired after a payment (the sender learns the money went back). A fax that simply was
 * never paid ends without an email. Read before the status is written, after the payment
 * settled.
 */
export function receiptDue(fax: Pick<Fax, 'paymentState'>, status: FaxStatus): boolean {
  switch (status) {
    case 'delivered':
    case 'failed':
    case 'rejected':
      return true;
    case 'cancelled':
    case 'expired':
      return fax.paymentState !== 'none';
    default:
      return false;
  }
}
