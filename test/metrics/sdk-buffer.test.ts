import { WorkerMetrics } from '../../src/metrics/worker-metrics';

/**
 * The SDK's runtime metrics are buffered only when the worker serves them, in a buffer large
 * enough that a busy worker never fills it between drains (a full buffer drops updates, and a
 * dropped one makes the SDK's next drain panic and end the worker).
 */
test('without a metrics port the SDK buffers nothing; with one, its buffer holds far more than a busy second', () => {
  const metrics = new WorkerMetrics();
  expect(metrics.sdkTelemetry({ token: null, workerPort: null, workerHost: '127.0.0.1' })).toBeUndefined();
  const telemetry = metrics.sdkTelemetry({ token: null, workerPort: 9464, workerHost: '127.0.0.1' });
  expect(telemetry?.metrics.buffer.maxBufferSize).toBeGreaterThanOrEqual(100_000);
  expect(telemetry?.metrics.buffer.useSecondsForDurations).toBe(true);
});
