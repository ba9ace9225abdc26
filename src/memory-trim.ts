import { performance } from 'node:perf_hooks';
import v8 from 'node:v8';
import vm from 'node:vm';
import type { Logger } from './log';

/** How often the process looks at its heap and how busy it was. */
const CHECK_MS = 10_000;
/** How much the heap or the resident memory may have grown since the last trim before another is worth it. */
const GROWTH_BYTES = 16 * 1024 * 1024;
/** The event loop's busy time since the last trim after which another is worth it, though nothing grew. */
const ACTIVE_MS = 5_000;
/** The share of the last interval the event loop was busy, under which the process counts as idle. */
const IDLE_UTILIZATION = 0.05;

/** Compacting collections in one trim at most. */
const MAX_COMPACTIONS = 5;

/** V8's `gc()`: a full, synchronous collection. */
type Gc = () => void;

/**
 * One full collection that also compacts the old generation. A plain full collection frees the
 * dead objects but leaves every page that still holds a live one committed: after a busy spell
 * whose survivors lie scattered over the heap (a supervisor that served 1,000 faxes' sandbox
 * calls: 182 MB of heap for 54 MB of live objects) nothing is given back. Compacting moves the
 * survivors together and unmaps the pages it empties; the flag is V8's own, set for these
 * collections only.
 */
function compactingGc(gc: Gc): void {
  v8.setFlagsFromString('--compact-on-every-full-gc');
  try {
    // A collection moves a few megabytes of survivors at most, from the emptiest pages: more
    // rounds while each still gives back a megabyte (a heap of hundreds of MB took three).
    for (let round = 0; round < MAX_COMPACTIONS; round++) {
      const before = process.memoryUsage().heapTotal;
      gc();
      if (before - process.memoryUsage().heapTotal < 1024 * 1024) break;
    }
  } finally {
    v8.setFlagsFromString('--no-compact-on-every-full-gc');
  }
}

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

/** The part of koffi used here. */
interface Koffi {
  load(path: string): { func(definition: string): (...args: unknown[]) => unknown };
}

/** glibc's `malloc_trim(0)`, or null where there is none (another C library, another system). */
type MallocTrim = () => void;

let mallocTrimFunction: MallocTrim | null | undefined;

/**
 * glibc's `malloc_trim`, called through koffi (a foreign-function interface whose prebuilt
 * binary comes with the package): loaded at the first trim, about 3 MB. glibc hands the pages of
 * freed blocks back to the system only from the top of its heap; a block still in use above them
 * keeps them resident. An engine that carried 4,000 workflows held 79 MB of such free blocks at
 * rest (1 MB of buffers alive), which `malloc_trim` gives back.
 */
export function mallocTrim(): MallocTrim | null {
  if (mallocTrimFunction !== undefined) return mallocTrimFunction;
  mallocTrimFunction = null;
  if (process.platform !== 'linux') return null;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on first use only: most processes at rest never need it
    const koffi = require('koffi') as Koffi;
    const trim = koffi.load('libc.so.6').func('int malloc_trim(size_t pad)');
    mallocTrimFunction = () => {
      trim(0);
    };
  } catch {
    // musl, or no prebuilt binary for this machine: V8's heap is still trimmed.
  }
  return mallocTrimFunction;
}

export interface IdleTrim {
  /** Trims run so far (each a full collection, then the C heap given back). */
  readonly trims: number;
  stop(): void;
}

/** How long after the collection the C heap is trimmed: V8 frees dead buffers' memory after it. */
const SWEEP_MS = 1_000;

const mb = (bytes: number): number => Math.round(bytes / 1048576);

/** When to trim: how often to look, and how much work since the last trim makes one worth it. */
export interface IdleTrimOptions {
  /** How often the process looks at its memory and how busy it was (10 s). */
  checkMs?: number;
  /** The event loop's busy time since the last trim after which an idle process trims even if nothing grew (5 s). */
  activeMs?: number;
  /**
   * Things the process lets go of in bulk, counted (the engine's runs paged out): a trim is due
   * once `enough` more went since the last, whatever else grew, or once at least `settled` went
   * and none went since the look before (the end of a stream, whose last few would otherwise
   * wait for the next stream).
   */
  released?: { count(): number; enough: number; settled: number };
}

/**
 * Gives memory back after a busy spell. V8 grows its heap under load and keeps it: nothing
 * allocates while a process is idle, so nothing starts the collection that would shrink it, and
 * one that ran leaves the heap committed (an engine that paged 4,000 finished runs out held
 * 115 MB of heap for 25 MB of live objects). The C heap keeps what buffers, HTTP/2 sessions and
 * native code freed (above). Every 10 s this looks at the event loop; when it was almost idle
 * (under 5 % busy) and a trim is due, one full, compacting collection runs (tens of
 * milliseconds, when nothing waits), V8 unmaps the pages it empties, and a second later glibc
 * gives back its free pages. A trim is due once after the start (what loading the code left),
 * when the heap or the resident memory has grown by more than 16 MB since the last, and after
 * 5 s of work since the last (work that freed what it made grows nothing but leaves garbage
 * and free blocks behind), or once the process has let go of enough (`released`: the engine's
 * idle runs paged out after a busy spell's trim), or of a few and then nothing more. A busy
 * process is left alone.
 */
export function startIdleTrim(log: Logger, options: IdleTrimOptions = {}): IdleTrim {
  const { checkMs = CHECK_MS, activeMs = ACTIVE_MS, released } = options;
  const releasedNow = (): number => released?.count() ?? 0;
  const gc = fullGc();
  let last = performance.eventLoopUtilization();
  let atTrim = { heap: 0, rss: 0, active: -Infinity, released: 0 };
  let trims = 0;
  let trimming = false;
  let sweep: NodeJS.Timeout | undefined;
  let releasedAtLastLook = 0;
  /** Whether what was let go of since the last trim makes one due. */
  const releasedEnough = (count: number): boolean => {
    const stillGoing = count !== releasedAtLastLook;
    releasedAtLastLook = count;
    if (!released) return false;
    const since = count - atTrim.released;
    return since >= released.enough || (!stillGoing && since >= released.settled);
  };
  const timer = setInterval(() => {
    const now = performance.eventLoopUtilization();
    const busy = performance.eventLoopUtilization(now, last).utilization;
    last = now;
    const releasedCount = releasedNow();
    const releasedDue = releasedEnough(releasedCount);
    if (trimming || busy >= IDLE_UTILIZATION) return;
    const before = { heap: process.memoryUsage().heapTotal, rss: process.memoryUsage.rss(), active: now.active, released: releasedCount };
    const due = before.heap - atTrim.heap >= GROWTH_BYTES || before.rss - atTrim.rss >= GROWTH_BYTES || before.active - atTrim.active >= activeMs || releasedDue;
    if (!due) return;
    trimming = true;
    if (gc) compactingGc(gc);
    sweep = setTimeout(() => {
      mallocTrim()?.();
      trims++;
      trimming = false;
      atTrim = { heap: process.memoryUsage().heapTotal, rss: process.memoryUsage.rss(), active: performance.eventLoopUtilization().active, released: before.released };
      const after = process.memoryUsage();
      log.debug('memory trimmed while idle', {
        heapTotalMb: [mb(before.heap), mb(atTrim.heap)],
        rssMb: [mb(before.rss), mb(atTrim.rss)],
        heapUsedMb: mb(after.heapUsed),
        externalMb: mb(after.external),
        arrayBuffersMb: mb(after.arrayBuffers),
      });
    }, SWEEP_MS);
    sweep.unref();
  }, checkMs);
  timer.unref();
  if (!gc) log.warn('this Node.js refuses a full collection on request: the heap is not trimmed when idle');
  return {
    get trims() {
      return trims;
    },
    stop: () => {
      clearInterval(timer);
      clearTimeout(sweep);
    },
  };
}
