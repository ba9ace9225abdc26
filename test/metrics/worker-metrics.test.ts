import { startE2eStack, until, type E2eStack } from '../e2e/harness';
import { createFax, makePdf, openCheckout, payByCard, waitForFax } from '../helpers/sender';
import { sampleValue } from './scrape';

/**
 * The worker's /metrics (WORKER_METRICS_PORT) and the web's, after one fax delivered, one
 * document rejected and one forged webhook: Durafax's own metrics and the SDK's runtime metrics.
 */
let stack: E2eStack;

beforeAll(async () => {
  stack = await startE2eStack({ env: { WORKER_METRICS_PORT: '0' } });
}, 90_000);

afterAll(async () => {
  await stack?.stop();
}, 30_000);

async function scrape(url: string): Promise<string> {
  const res = await fetch(url);
  expect(res.status).toBe(200);
  return res.text();
}

test('worker and web metrics count what happened', async () => {
  expect(stack.workerMetricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
  const workerUrl = stack.workerMetricsUrl!;
  const fax = await createFax(stack.baseUrl, '+49 30 5550123', await makePdf(1));
  await waitForFax(stack.baseUrl, fax, (f) => f.status === 'awaiting_payment', 30_000);
  expect(await payByCard(await openCheckout(stack.baseUrl, fax))).toBe(303);
  await waitForFax(stack.baseUrl, fax, (f) => f.status === 'delivered' && f.payment.state === 'captured', 30_000);
  // A PDF cut off after its header: rejected as corrupt.
  const broken = await createFax(stack.baseUrl, '+49 30 5550124', Buffer.from('%PDF-1.7\n1 0 obj\n<< /Type /Catalog'));
  const rejected = await waitForFax(stack.baseUrl, broken, (f) => f.status === 'rejected', 30_000);
  const forged = await fetch(`${stack.baseUrl}/webhooks/stripe`, { method: 'POST', headers: { 'content-type': 'application/json', 'stripe-signature': 't=1,v1=00' }, body: '{}' });
  expect(forged.status).toBe(400);

  const reason = rejected.failure!.code;
  let text = '';
  await until(async () => {
    text = await scrape(workerUrl);
    return sampleValue(text, 'durafax_faxes_finished_total', { status: 'rejected' }) === 1;
  }, 'the rejection to be counted');
  expect(sampleValue(text, 'durafax_faxes_finished_total', { status: 'delivered' })).toBe(1);
  expect(sampleValue(text, 'durafax_faxes_finished_total', { status: 'failed' })).toBe(0);
  expect(sampleValue(text, 'durafax_conversion_seconds_count', { outcome: 'ok' })).toBe(1);
  expect(sampleValue(text, 'durafax_conversion_seconds_count', { outcome: reason })).toBe(1);
  // Nothing waits for a turn to convert once the faxes are done.
  expect(sampleValue(text, 'durafax_conversions_waiting')).toBe(0);
  // Nor any in Temporal's conversion task queue (read from it at the scrape).
  expect(sampleValue(text, 'durafax_conversion_backlog')).toBe(0);
  expect(sampleValue(text, 'durafax_payment_to_queued_seconds_count')).toBe(1);
  expect(sampleValue(text, 'durafax_activity_failures_total', { activity: 'convertDocument', type: reason })).toBe(1);
  expect(sampleValue(text, 'durafax_worker_process_resident_memory_bytes')).toBeGreaterThan(0);
  // The SDK's own: completed activity tasks and workflow tasks, with their task queue.
  expect(sampleValue(text, 'temporal_activity_execution_latency_count', { task_queue: stack.config.temporal.taskQueue })).toBeGreaterThan(0);
  expect(text).toMatch(/^temporal_workflow_task_execution_latency_count\{/m);

  const web = await scrape(`${stack.baseUrl}/metrics`);
  expect(sampleValue(web, 'durafax_http_request_duration_seconds_count', { method: 'POST', route: '/api/faxes', status: '201' })).toBeGreaterThanOrEqual(2);
  expect(sampleValue(web, 'durafax_webhook_rejections_total', { provider: 'stripe', status: '400' })).toBeGreaterThanOrEqual(1);
}, 90_000);
