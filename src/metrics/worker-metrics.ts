import { MetricsBuffer } from '@temporalio/worker';
import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import { conversionsWaiting } from '../conversion';
import type { MetricsConfig } from '../config/config';
import type { Logger } from '../log';
import { FaxMetrics } from './fax-metrics';
import { SdkMetrics } from './sdk-metrics';
import { serveMetrics, type MetricsServer } from './server';

/**
 * How often the SDK's metric buffer is drained, and how many updates it holds. sdk-core drops
 * updates once its buffer is full, and a dropped one that created a metric or its attributes
 * makes the next drain panic inside the SDK's native code, which ends the worker. A busy worker
 * records thousands of updates a second, so the buffer is drained every second and holds far more.
 */
const DRAIN_MS = 1_000;
const SDK_BUFFER_UPDATES = 200_000;

/**
 * The worker's metrics: Node's process metrics, Durafax's (FaxMetrics) and the Temporal SDK's
 * runtime metrics, served on WORKER_METRICS_PORT when set. The SDK's runtime metrics are
 * buffered only then (`sdkTelemetry` for Runtime.install): nobody would read them otherwise.
 */
export class WorkerMetrics {
  readonly registry = new Registry();
  readonly fax: FaxMetrics;
  /** Documents waiting for their turn to convert, read at each scrape. */
  readonly conversionsWaiting: Gauge;
  private readonly sdkBuffer = new MetricsBuffer({ maxBufferSize: SDK_BUFFER_UPDATES, useSecondsForDurations: true });
  private readonly sdk: SdkMetrics;
  private server: MetricsServer | null = null;
  private draining: NodeJS.Timeout | null = null;

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'durafax_worker_' });
    this.fax = new FaxMetrics(this.registry);
    this.conversionsWaiting = new Gauge({
      name: 'durafax_conversions_waiting',
      help: 'Documents waiting for their turn to convert (MAX_CONCURRENT_CONVERSIONS convert at once)',
      registers: [this.registry],
      collect() {
        this.set(conversionsWaiting());
      },
    });
    this.sdk = new SdkMetrics(this.registry, this.sdkBuffer);
  }

  /**
   * `durafax_conversion_backlog`: conversions waiting in Temporal for a worker to take them,
   * asked of Temporal at each scrape (`backlog`). A scrape while Temporal does not answer shows
   * no figure rather than an old one.
   */
  watchConversionBacklog(backlog: () => Promise<number>, log: Logger): void {
    new Gauge({
      name: 'durafax_conversion_backlog',
      help: 'Conversions waiting in the conversion task queue for a worker to take them (beyond durafax_conversions_waiting, which wait in this worker)',
      registers: [this.registry],
      async collect() {
        try {
          this.set(await backlog());
        } catch (err) {
          this.reset();
          log.debug('could not read the conversion backlog', { err });
        }
      },
    });
  }

  /** The telemetry options for Runtime.install: the SDK's metrics into our buffer when they are served. */
  sdkTelemetry(config: MetricsConfig): { metrics: { buffer: MetricsBuffer } } | undefined {
    return config.workerPort === null ? undefined : { metrics: { buffer: this.sdkBuffer } };
  }

  /** Once the runtime is installed: serves `/metrics` if a port is configured, draining the SDK's buffer meanwhile. */
  async start(config: MetricsConfig, log: Logger): Promise<void> {
    if (config.workerPort === null) return;
    // Drained between scrapes too, so the buffer never fills however rarely Prometheus reads.
    this.draining = setInterval(() => this.sdk.drain(), DRAIN_MS);
    this.draining.unref();
    this.server = await serveMetrics({ host: config.workerHost, port: config.workerPort, registry: this.registry, beforeScrape: () => this.sdk.drain() });
    log.info('worker metrics listening', { url: this.server.url });
  }

  async stop(): Promise<void> {
    if (this.draining) clearInterval(this.draining);
    await this.server?.stop();
  }
}
