import type { Metric, MetricTags } from '@temporalio/common';
import type { MetricsBuffer } from '@temporalio/worker';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

type Sink = ({ kind: 'counter'; metric: Counter } | { kind: 'gauge'; metric: Gauge } | { kind: 'histogram'; metric: Histogram }) & { labelNames: ReadonlySet<string> };

/** Prometheus names allow letters, digits, `_` and `:` only. */
const promName = (name: string): string => name.replace(/[^a-zA-Z0-9_:]/g, '_');

/**
 * The Temporal SDK's own runtime metrics (polls, task latencies, sticky cache, slots…), which
 * sdk-core buffers for us (RuntimeOptions.telemetryOptions.metrics.buffer), replayed into the
 * worker's registry so one `/metrics` shows them beside Durafax's. Durations are in seconds.
 * Each metric's labels are those of its first update; later updates keep those labels only.
 */
export class SdkMetrics {
  private readonly sinks = new Map<string, Sink>();

  constructor(
    private readonly registry: Registry,
    private readonly buffer: MetricsBuffer,
  ) {}

  /** Moves what the SDK buffered into the registry; call it often enough that the buffer never fills. */
  drain(): void {
    for (const update of this.buffer.retrieveUpdates()) this.record(update.metric, update.value, update.attributes);
  }

  private record(metric: Metric, value: number, attributes: MetricTags): void {
    const sink = this.sinkFor(metric, attributes);
    const labels = this.labels(sink, attributes);
    if (sink.kind === 'counter') sink.metric.inc(labels, value);
    else if (sink.kind === 'histogram') sink.metric.observe(labels, value);
    else if (metric.kind === 'up-down-counter') sink.metric.inc(labels, value);
    else sink.metric.set(labels, value);
  }

  private sinkFor(metric: Metric, attributes: MetricTags): Sink {
    const name = promName(metric.name);
    const known = this.sinks.get(name);
    if (known) return known;
    const labelNames = Object.keys(attributes).map(promName);
    const options = { name, help: metric.description || `Temporal SDK metric ${metric.name}`, labelNames, registers: [this.registry] };
    const names = new Set(labelNames);
    const sink: Sink =
      metric.kind === 'counter'
        ? { kind: 'counter', metric: new Counter(options), labelNames: names }
        : metric.kind === 'histogram'
          ? { kind: 'histogram', metric: new Histogram(options), labelNames: names }
          : { kind: 'gauge', metric: new Gauge(options), labelNames: names };
    this.sinks.set(name, sink);
    return sink;
  }

  private labels(sink: Sink, attributes: MetricTags): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [key, value] of Object.entries(attributes)) if (sink.labelNames.has(promName(key))) out[promName(key)] = String(value);
    return out;
  }
}
