import { performance } from 'node:perf_hooks';
import v8 from 'node:v8';
import vm from 'node:vm';
import type { Logger } from './log';

/** How often the process looks at its heap and how busy it was. */
const CHECK_MS = 10_000;
/** How much the heap may have grown since the last collection here before another is worth it. */
const GROWTH_BYTES = 16 * 1024 * 1024;
/** The share of the last interval the event loop was busy, under which the process counts as idle. */
const IDLE_UTILIZATION = 0.05;

/** V8's `gc()`: a full, synchronous collection. */
type Gc = () => void;

let gcFunction: Gc | null | undefined;

/** V8's full collection, made callable at run time (the `--expose-gc` flag set from inside); null if this V8 refuses. */
function fullGc(): Gc | null {
  if (gcFunction !== undefined) return gcFunction;
  try {
    v8.setFlagsFromString('--expose-gc');
    const gc: unknown = vm.runInNewContext('gc');
    // Contexts made from now on (a worker's workflow sandboxes) get no `gc` global.
    v8.setFlagsFromString('--no-expose-gc');
    gcFunction = typeof gc === 'function' ? (gc as Gc) : null;
  } catch {
    gcFunction = null;
  }
  return gcFunction;
}

export interface IdleTrim {
  /** Full collections run so far. */
  readonly trims: number;
  stop(): void;
}

/**
 * Gives memory back after a busy spell. V8 grows its heap under load and keeps it: nothing
 * allocates while a process is idle, so nothing starts the collection that would shrink it, and
 * one that ran leaves the heap committed (an engine that paged 4,000 finished runs out held
 * 115 MB of heap for 25 MB of live objects). Every 10 s this looks at the event loop: when it
 * was almost idle (under 5 % busy) and the heap has grown by more than 16 MB since the last
 * collection made here, one full collection runs (tens of milliseconds, when nothing waits),
 * and V8 unmaps the pages it frees. A busy process is left alone.
 */
export function startIdleTrim(log: Logger, checkMs = CHECK_MS): IdleTrim {
  const gc = fullGc();
  let last = performance.eventLoopUtilization();
  let baseline = process.memoryUsage().heapTotal;
  let trims = 0;
  const timer = setInterval(() => {
    const now = performance.eventLoopUtilization();
    const busy = performance.eventLoopUtilization(now, last).utilization;
    last = now;
    const before = process.memoryUsage().heapTotal;
    if (!gc || busy >= IDLE_UTILIZATION || before - baseline < GROWTH_BYTES) return;
    gc();
    trims++;
    baseline = process.memoryUsage().heapTotal;
    log.debug('heap trimmed while idle', { heapTotalMb: [Math.round(before / 1048576), Math.round(baseline / 1048576)] });
  }, checkMs);
  timer.unref();
  if (!gc) log.warn('this Node.js refuses a full collection on request: the heap is not trimmed when idle');
  return {
    get trims() {
      return trims;
    },
    stop: () => clearInterval(timer),
  };
}
