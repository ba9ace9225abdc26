import type { CarrierStatus } from './types';

/** How far a carrier fax has come; delivered and failed are both the end. */
const RANK: Readonly<Record<CarrierStatus, number>> = {
  queued: 0,
  'media.processed': 1,
  originated: 2,
  sending: 3,
  delivered: 4,
  failed: 4,
};

export function isFinalCarrierStatus(status: CarrierStatus): boolean {
  return status === 'delivered' || status === 'failed';
}

/**
 * True when `next` must be ignored given what is already known: webhooks arrive late,
 * twice and out of order, and polling can overtake them. A final status never changes
 * (not even into the other final status); otherwise only forward moves count. A repeat of
 * the same non-final status is not stale: it may carry details the first one lacked.
 */
export function isStaleTransition(current: CarrierStatus, next: CarrierStatus): boolean {
  if (isFinalCarrierStatus(current)) return true;
  return RANK[next] < RANK[current];
}
