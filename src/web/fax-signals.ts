import type { CarrierEvent } from '../carrier/types';
import type { PaymentAuthorized } from '../workflows/contract';

/** What happened when a workflow was signalled. */
export type SignalOutcome = 'delivered' | 'closed';

/**
 * How the web tier tells a fax's workflow what providers reported. `closed` means the
 * workflow no longer runs (fax finished, expired or cancelled): the caller must then undo
 * what the provider did on its own (e.g. release a hold that arrived too late).
 */
export interface FaxSignals {
  paymentAuthorized(faxId: string, signal: PaymentAuthorized): Promise<SignalOutcome>;
  carrierEvent(faxId: string, event: CarrierEvent): Promise<SignalOutcome>;
}
