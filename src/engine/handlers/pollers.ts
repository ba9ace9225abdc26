import type { Engine } from '../engine';
import type { QueueType } from '../matching';

/** The real server lists a poller in DescribeTaskQueue for 5 minutes after its last poll. */
export const POLLER_TTL_MS = 5 * 60_000;
/** The real server's default rate limit when a worker sets none. */
const DEFAULT_RATE = 100_000;

/** A versioned worker's deployment options, as PollerInfo reports them. */
export interface PollerDeployment {
  deploymentName: string;
  buildId: string;
  workerVersioningMode: number;
}

interface PollerRecord {
  identity: string;
  deploymentOptions?: PollerDeployment;
  /** While a poll waits, the poller counts as seen now. */
  polling: number;
  lastAccessTime: number;
  ratePerSecond: number;
}

/**
 * The workers that poll each task queue, by identity, as DescribeTaskQueue reports them (the
 * Temporal UI's Workers tab). Kept in memory: after a restart the workers poll again at once.
 */
export class Pollers {
  private readonly queues = new Map<string, Map<string, PollerRecord>>();

  private key(namespace: string, queue: string, type: QueueType): string {
    return `${namespace}\u0000${queue}\u0000${type}`;
  }

  /** Marks a poll as started; the returned function marks it finished. */
  polling(namespace: string, queue: string, type: QueueType, identity: string, ratePerSecond: number | null | undefined, deploymentOptions?: PollerDeployment): () => void {
    const key = this.key(namespace, queue, type);
    let records = this.queues.get(key);
    if (!records) {
      records = new Map();
      this.queues.set(key, records);
    }
    const record = records.get(identity) ?? { identity, polling: 0, lastAccessTime: 0, ratePerSecond: DEFAULT_RATE };
    record.polling++;
    record.lastAccessTime = Date.now();
    if (ratePerSecond && ratePerSecond > 0) record.ratePerSecond = ratePerSecond;
    record.deploymentOptions = deploymentOptions;
    records.set(identity, record);
    return () => {
      record.polling--;
      record.lastAccessTime = Date.now();
    };
  }

  list(
    namespace: string,
    queue: string,
    type: QueueType,
    now = Date.now(),
  ): Array<{ identity: string; lastAccessTime: number; ratePerSecond: number; deploymentOptions?: PollerDeployment }> {
    const records = this.queues.get(this.key(namespace, queue, type));
    if (!records) return [];
    const out = [];
    for (const r of records.values()) {
      if (r.polling === 0 && now - r.lastAccessTime > POLLER_TTL_MS) {
        records.delete(r.identity);
        continue;
      }
      out.push({ identity: r.identity, lastAccessTime: r.polling > 0 ? now : r.lastAccessTime, ratePerSecond: r.ratePerSecond, deploymentOptions: r.deploymentOptions });
    }
    return out.sort((a, b) => b.lastAccessTime - a.lastAccessTime);
  }
}

const registry = new WeakMap<Engine, Pollers>();

/** The poller registry of an engine (the task and system handlers share it). */
export function pollersOf(engine: Engine): Pollers {
  let pollers = registry.get(engine);
  if (!pollers) {
    pollers = new Pollers();
    registry.set(engine, pollers);
  }
  return pollers;
}
