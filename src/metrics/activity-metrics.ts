import type { Context } from '@temporalio/activity';
import { ApplicationFailure, ApplicationFailureCategory, CancelledFailure } from '@temporalio/common';
import type { ActivityInboundCallsInterceptor, ActivityInterceptors } from '@temporalio/worker';
import type { StatusUpdate } from '../workflows/contract';
import type { FaxMetrics } from './fax-metrics';

/** The failure's stable type: a business failure's reason code, a cancellation, or a transient error retried by policy. */
export function failureType(err: unknown): string {
  if (err instanceof ApplicationFailure) return err.type ?? 'application';
  if (err instanceof CancelledFailure) return 'cancelled';
  return 'retryable';
}

export interface ActivityMetricsDeps {
  metrics: FaxMetrics;
  /** When the fax's payment was confirmed, if it was. */
  paidAt(faxId: string): Promise<Date | null>;
}

/**
 * Counts every activity failure by type, and reads the business moments off the activities
 * that record them: a final status written (setStatus), the first transmission accepted by
 * the carrier (submitTransmission, attempt 1). Activities stay free of metrics.
 */
export function activityMetrics(deps: ActivityMetricsDeps): (ctx: Context) => ActivityInterceptors {
  return (ctx) => {
    const inbound: ActivityInboundCallsInterceptor = {
      async execute(input, next) {
        const type = ctx.info.activityType;
        let result: unknown;
        try {
          result = await next(input);
        } catch (err) {
          // A benign failure is a step of the work (a watch that looks again later), not a fault.
          if (!(err instanceof ApplicationFailure && err.category === ApplicationFailureCategory.BENIGN)) deps.metrics.activityFailed(type, failureType(err));
          throw err;
        }
        const [faxId, second] = input.args as [string, unknown];
        if (type === 'setStatus') deps.metrics.faxFinished((second as StatusUpdate).status);
        if (type === 'submitTransmission' && second === 1) {
          const paidAt = await deps.paidAt(faxId).catch(() => null);
          if (paidAt) deps.metrics.queuedAfterPayment((Date.now() - paidAt.getTime()) / 1000);
        }
        return result;
      },
    };
    return { inbound };
  };
}
