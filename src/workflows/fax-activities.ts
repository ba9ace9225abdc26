import { ActivityCancellationType, proxyActivities } from '@temporalio/workflow';
import type { FaxActivities } from './contract';

/** Database and payment steps: short, retried until they work (they are idempotent). */
export const steps = proxyActivities<FaxActivities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m' },
});

/** Conversion is CPU work with its own time budget; a failure after three tries is a bug, not the document. */
export const conversion = proxyActivities<FaxActivities>({
  startToCloseTimeout: '5m',
  retry: { initialInterval: '5s', backoffCoefficient: 2, maximumAttempts: 3 },
});

/** Submitting is safe to retry: the carrier adapter reconciles before it submits again. */
export const submission = proxyActivities<FaxActivities>({
  startToCloseTimeout: '2m',
  retry: { initialInterval: '5s', backoffCoefficient: 2, maximumInterval: '2m' },
});

/** The polling backstop: long-running, heartbeating, cancelled as soon as a webhook tells the outcome. */
export const watching = proxyActivities<FaxActivities>({
  startToCloseTimeout: '6h',
  heartbeatTimeout: '2m',
  cancellationType: ActivityCancellationType.TRY_CANCEL,
  retry: { initialInterval: '5s', backoffCoefficient: 2, maximumInterval: '1m' },
});
