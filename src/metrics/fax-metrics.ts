import { Counter, Histogram, type Registry } from 'prom-client';
import { FINAL_FAX_STATUSES, type FaxStatus } from '../domain/status';

/**
 * The worker's business metrics: how faxes end, how long conversions take, how long a paid
 * fax waits for the carrier, and which activities fail and why.
 */
export class FaxMetrics {
  private readonly finished: Counter<'status'>;
  private readonly conversion: Histogram<'outcome'>;
  private readonly paymentToQueued: Histogram;
  private readonly activityFailures: Counter<'activity' | 'type'>;

  constructor(registry: Registry) {
    this.finished = new Counter({ name: 'durafax_faxes_finished_total', help: 'Faxes that reached a final status, by that status', labelNames: ['status'], registers: [registry] });
    // Every final status is reported from the start, at zero: a rate of rejections is then defined before the first one.
    for (const status of FINAL_FAX_STATUSES) this.finished.inc({ status }, 0);
    this.conversion = new Histogram({
      name: 'durafax_conversion_seconds',
      help: 'Time to convert one document into fax pages, its wait for a turn included, by outcome (ok, or the rejection reason)',
      labelNames: ['outcome'],
      buckets: [0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120],
      registers: [registry],
    });
    this.paymentToQueued = new Histogram({
      name: 'durafax_payment_to_queued_seconds',
      help: 'Time from the confirmed payment to the carrier accepting the first transmission',
      buckets: [0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300],
      registers: [registry],
    });
    this.activityFailures = new Counter({
      name: 'durafax_activity_failures_total',
      help: 'Failed activity executions, by activity and failure type (the business reason, or "retryable")',
      labelNames: ['activity', 'type'],
      registers: [registry],
    });
  }

  faxFinished(status: FaxStatus): void {
    if (FINAL_FAX_STATUSES.includes(status)) this.finished.inc({ status });
  }

  conversionTook(seconds: number, outcome: string): void {
    this.conversion.observe({ outcome }, seconds);
  }

  queuedAfterPayment(seconds: number): void {
    this.paymentToQueued.observe(seconds);
  }

  activityFailed(activity: string, type: string): void {
    this.activityFailures.inc({ activity, type });
  }
}
