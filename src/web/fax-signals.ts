import type { CarrierEvent } from '../carrier/types';

/** What happened when a workflow was signalled. */
export type SignalOutcome = 'delivered' | 'closed';

export interface PaymentAuthorizedSignal {
  paymentIntentId: string;
  checkoutSessionId: string;
  source: 'webhook' | 'redirect';
}

/**
 * How the web tier tells a fax's workflow what providers reported. `closed` means the
 * workflow no longer runs (fax finished, expired or cancelled): the caller must then undo
 * what the provider did on its own (e.g. release a hold that arrived too late).
 */
export interface FaxSignals {
  paymentAuthorized(faxId: string, signal: PaymentAuthorizedSignal): Promise<SignalOutcome>;
  carrierEvent(faxId: string, event: CarrierEvent): Promise<SignalOutcome>;
}
