import type { Context } from '@temporalio/activity';
import { ApplicationFailure, ApplicationFailureCategory } from '@temporalio/common';
import { Registry } from 'prom-client';
import { activityMetrics } from '../../src/metrics/activity-metrics';
import { FaxMetrics } from '../../src/metrics/fax-metrics';
import { sampleValue } from './scrape';

/** Runs one activity call through the interceptor, as the SDK does, and returns the metrics text after it. */
async function afterCall(activityType: string, outcome: () => Promise<unknown>): Promise<string> {
  const registry = new Registry();
  const interceptors = activityMetrics({ metrics: new FaxMetrics(registry), paidAt: () => Promise.resolve(null) })({ info: { activityType } } as unknown as Context);
  await interceptors.inbound!.execute!({ args: ['fax-1', 1], headers: {} }, outcome).catch(() => undefined);
  return registry.metrics();
}

test('a failed activity is counted by its failure type; a benign failure (a watch that looks again later) is not a failure', async () => {
  const declined = await afterCall('capturePayment', () => Promise.reject(ApplicationFailure.create({ type: 'card_declined', message: 'declined' })));
  expect(sampleValue(declined, 'durafax_activity_failures_total', { activity: 'capturePayment', type: 'card_declined' })).toBe(1);

  const crashed = await afterCall('submitTransmission', () => Promise.reject(new Error('socket hang up')));
  expect(sampleValue(crashed, 'durafax_activity_failures_total', { activity: 'submitTransmission', type: 'retryable' })).toBe(1);

  const stillGoing = ApplicationFailure.create({ type: 'transmission_in_progress', message: 'sending', nextRetryDelay: '30s', category: ApplicationFailureCategory.BENIGN });
  const looked = await afterCall('watchTransmission', () => Promise.reject(stillGoing));
  expect(looked).not.toContain('watchTransmission');
});
