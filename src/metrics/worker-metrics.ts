import { MetricsBuffer } from '@temporalio/worker';
import { collectDefaultMetrics, Registry } from 'prom-client';
import type { MetricsConfig } from '../config/config';
import type { Logger } from '../log';
import { FaxMetrics } from './fax-metrics';
import { SdkMetrics } from './sdk-metrics';
import { serveMetrics, type MetricsServer } from './server';

/**
 * The worker's metrics: Node's process metrics, Durafax's (FaxMetrics) and the Temporal SDK's
 * runtime metrics (give `sdkBuffer` to Runtime.install), served on WORKER_METRICS_PORT when set.
 */
export class WorkerMetrics {
  readonly registry = new Registry();
  readonly fax: FaxMetrics;
  readonly sdkBuffer = new MetricsBuffer({ useSecondsForDurations: true });
  private readonly sdk: SdkMetrics;
  private server: MetricsServer | null = null;
  private draining: NodeJS.Timeout | null = null;

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'durafax_worker_' });
    this.fax = new FaxMetrics(this.registry);
    this.sdk = new SdkMetrics(this.registry, this.sdkBuffer);
  }

  /** Once the runtime is installed: drains the SDK's buffer and serves `/metrics` if a port is configured. */
  async start(config: MetricsConfig, log: Logger): Promise<void> {
    // Drained between scrapes too, so the buffer never fills however rarely Prometheus reads.
    this.draining = setInterval(() => this.sdk.drain(), 5_000);
    this.draining.unref();
    if (config.workerPort === null) return;
    this.server = await serveMetrics({ host: config.workerHost, port: config.workerPort, registry: this.registry, beforeScrape: () => this.sdk.drain() });
    log.info('worker metrics listening', { url: this.server.url });
  }

  async stop(): Promise<void> {
    if (this.draining) clearInterval(this.draining);
    await this.server?.stop();
  }
}
