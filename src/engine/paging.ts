import type { Engine } from './engine';
import { rearmRunTimers, clearRunTimers } from './model/run-timers';
import { armRunTimeout } from './model/start';
import type { Execution, PageLoader, PageRef, RunBody, RunState, VisibleState } from './model/state';
import type { Payload } from './proto';
import { decodeJson, encodeJson } from './store/codec';
import type { PageStore } from './store/pages';
import type { JournaledRun } from './store/store';

/** Page files are compacted once past this size and more than half holes. */
const COMPACT_BYTES = 64 * 1024 * 1024;

const wakeKey = (run: Execution): string => `wake/${run.runId}`;

/**
 * Keeps only recently active runs in memory. A run idle for `idleMs` (nothing changed it or
 * read its body) with nothing in flight — no workflow task, activity, Nexus operation, update
 * under way, buffered event or long poll — is paged out: its body (state and history, encoded
 * as the journal encodes a run) goes to the page store, and what stays is its visibility
 * record, its history's length and one clock timer at the earliest of its deadlines (user
 * timers, run and execution timeouts, a delayed first task) in place of its own timers. Any
 * access to its state or history loads it back first (Execution's getters call `load`), and
 * loading re-arms its timers, so those whose time came while it was out fire at once.
 */
export class Pager implements PageLoader {
  private readonly resident = new Set<Execution>();
  private readonly paged = new Set<Execution>();
  private readonly interval: NodeJS.Timeout | undefined;
  private sweepQueued = false;
  private stopped = false;
  /** Counters for logs, benches and tests. */
  pagedOut = 0;
  loaded = 0;

  constructor(
    private readonly engine: Engine,
    private readonly pages: PageStore,
    /** How long a run stays in memory after its last activity; undefined: paging is off. */
    readonly idleMs: number | undefined,
  ) {
    if (idleMs !== undefined && idleMs > 0) {
      this.interval = setInterval(
        () => {
          const before = this.pagedOut;
          this.sweep();
          if (this.pagedOut > before) this.engine.log.info('idle runs paged out', { now: this.pagedOut - before, paged: this.paged.size, resident: this.resident.size });
        },
        Math.max(100, Math.min(idleMs / 2, 10_000)),
      );
      this.interval.unref();
    }
  }

  get residentRuns(): number {
    return this.resident.size;
  }

  get pagedRuns(): number {
    return this.paged.size;
  }

  /** A new run (or one recovered) is in memory. */
  track(run: Execution): void {
    if (run.paged) this.paged.add(run);
    else this.resident.add(run);
  }

  /** A run removed from the engine: its page, if any, is freed. */
  forget(run: Execution): void {
    this.resident.delete(run);
    if (run.paged) {
      this.pages.free(run.paged.ref);
      this.paged.delete(run);
      this.engine.clock.clear(wakeKey(run));
    }
  }

  /** After a commit: with no idle time at all, runs go out as soon as the event loop turns. */
  committed(): void {
    if (this.idleMs !== 0 || this.sweepQueued || this.stopped) return;
    this.sweepQueued = true;
    setImmediate(() => {
      this.sweepQueued = false;
      this.sweep();
    });
  }

  /** Pages out every run idle long enough that can go. */
  sweep(): void {
    if (this.idleMs === undefined || this.stopped || this.engine.inTransaction) return;
    const before = Date.now() - this.idleMs;
    for (const run of this.resident) if (run.lastActive <= before && this.pageable(run)) this.pageOut(run);
    const pages = this.pages;
    if (pages.compact && pages.totalBytes > COMPACT_BYTES && pages.totalBytes > 2 * pages.liveBytes) {
      const runs = [...this.paged];
      const moved = pages.compact(runs.map((run) => (run.paged as NonNullable<Execution['paged']>).ref));
      runs.forEach((run, i) => ((run.paged as NonNullable<Execution['paged']>).ref = moved[i]));
    }
  }

  /** Nothing in flight: no task, activity, operation, update under way, buffered event, long poll or unwritten change. */
  pageable(run: Execution): boolean {
    if (run.paged || run.waiters.size || this.engine.isDirty(run) || run.persistedEvents !== run.events.length) return false;
    return quiet(run.state);
  }

  pageOut(run: Execution): void {
    const state = run.state;
    const events = run.events;
    const wake = run.open ? nextDeadline(state) : undefined;
    if (run.open) clearRunTimers(this.engine, run);
    const ref: PageRef = this.pages.write(encodeJson({ s: state, e: events } satisfies JournaledRun));
    run.release({ visible: compactVisible(state), historyLength: events.length, stickyQueue: state.sticky?.queue, wake, ref, loader: this });
    this.resident.delete(run);
    this.paged.add(run);
    this.pagedOut++;
    this.armWake(run);
  }

  /** The one timer of a paged-out run: at its earliest deadline it is loaded back, which re-arms its own timers. */
  armWake(run: Execution): void {
    const wake = run.paged?.wake;
    if (wake !== undefined) this.engine.clock.set(wakeKey(run), wake, () => this.ensureLoaded(run));
  }

  /** Loads a paged-out run back (its wake-up, or anything that needs it now). */
  ensureLoaded(run: Execution): void {
    if (run.paged) this.load(run);
  }

  load(run: Execution): RunBody {
    const paged = run.paged;
    if (!paged) throw new Error(`run ${run.runId} is not paged out`);
    const { s, e } = decodeJson(this.pages.read(paged.ref)) as JournaledRun;
    const body: RunBody = { state: s, events: e };
    this.pages.free(paged.ref);
    run.restore(body);
    this.paged.delete(run);
    this.resident.add(run);
    this.loaded++;
    this.engine.clock.clear(wakeKey(run));
    // Its worker's sticky queue went away while it was out (workflow-task.ts, stickyQueueGone).
    // Journaled with the transaction that loads it, or the next commit (not a transaction of its
    // own: a load during recovery must not write to the journal).
    if (s.sticky && paged.stickyQueue !== s.sticky.queue) {
      s.sticky = null;
      this.engine.touch(run);
    }
    // Loaded only to be read (a query, a describe): it may go out again without any change.
    this.committed();
    if (run.open) {
      armRunTimeout(this.engine, run);
      rearmRunTimers(this.engine, run);
    }
    return body;
  }

  /** A paged-out run's body as its journal encoding (snapshots copy it without decoding). */
  pageText(run: Execution): string | undefined {
    return run.paged ? this.pages.read(run.paged.ref) : undefined;
  }

  stop(): void {
    this.stopped = true;
    if (this.interval) clearInterval(this.interval);
    this.pages.close();
  }
}

/**
 * Nothing in flight: no workflow task (or one asked for), buffered event, activity, Nexus
 * operation or update under way. A snapshot's index marks the runs that are not, so a restart
 * loads those at once (their tasks go back on their queues) and leaves the others out.
 */
export function quiet(s: RunState): boolean {
  if (s.wft || s.needsWft || s.buffered.length) return false;
  if (!isEmpty(s.activities) || !isEmpty(s.nexusOps)) return false;
  for (const key in s.updates) if (s.updates[key].stage === 'admitted' || s.updates[key].stage === 'accepted') return false;
  return true;
}

function isEmpty(record: Record<string, unknown> | undefined): boolean {
  for (const key in record) if (Object.hasOwn(record, key)) return false;
  return true;
}

/** The earliest time an idle run must wake at: a user timer, its run or execution timeout, its delayed first task. */
export function nextDeadline(state: RunState): number | undefined {
  const times: number[] = [];
  for (const key in state.timers) times.push(state.timers[key].due);
  if (state.runDeadline > 0) times.push(state.runDeadline);
  if (state.executionDeadline > 0) times.push(state.executionDeadline);
  if (state.firstWftAt > 0 && state.lastCompletedStartedId === 0) times.push(state.firstWftAt);
  return times.length ? Math.min(...times) : undefined;
}

/** Bytes of slab per allocation: one ArrayBuffer holds the payload bytes of many runs. */
const SLAB_BYTES = 16 * 1024;
/** Payloads of this many bytes or more are copied on their own, not kept in a slab. */
const SLAB_MAX = 1024;
/** Payloads remembered for sharing; past this, the table starts over (those shared so far stay shared). */
const SHARED_MAX = 4096;

/**
 * Where paged-out runs' visibility payloads live. Most of them are the same across runs (a
 * search attribute's type and encoding, a status, a country, the worker's build id): those are
 * one frozen object shared by every run that has it. The bytes of all of them sit in slabs of
 * 16 KiB rather than a buffer per run, which costs an ArrayBuffer and a C++ backing store each.
 * A fax's record went from about 3.6 KiB of heap (25 byte views, 18 objects) to under 1 KiB.
 */
class PayloadTable {
  private shared = new Map<string, Payload>();
  private slab = Buffer.allocUnsafeSlow(0);
  private used = 0;

  payload(p: Payload): Payload {
    const key = this.keyOf(p);
    if (key === undefined) return this.copyPayload(p);
    let found = this.shared.get(key);
    if (!found) {
      if (this.shared.size >= SHARED_MAX) this.shared = new Map();
      found = Object.freeze(this.copyPayload(p));
      this.shared.set(key, found);
    }
    return found;
  }

  fields(fields: Record<string, Payload> | undefined): Record<string, Payload> {
    const out: Record<string, Payload> = {};
    for (const key in fields) out[key] = this.payload(fields[key]);
    return out;
  }

  /** What identifies a plain payload (metadata and data only, both small); undefined for any other. */
  private keyOf(p: Payload): string | undefined {
    for (const field of Object.keys(p)) {
      const value: unknown = p[field as keyof Payload];
      if (field !== 'metadata' && field !== 'data' && value != null && !(Array.isArray(value) && value.length === 0)) return undefined;
    }
    let size = p.data?.length ?? 0;
    // Lengths before names and values: no two different payloads have the same key.
    let key = p.data ? `${p.data.length}:${latin1(p.data)}` : '-';
    const metadata = p.metadata ?? {};
    for (const name of Object.keys(metadata).sort()) {
      const value = metadata[name];
      size += value.length;
      key += `${name.length}:${name}${value.length}:${latin1(value)}`;
    }
    return size < SLAB_MAX ? key : undefined;
  }

  private copyPayload(p: Payload): Payload {
    const metadata: Record<string, Uint8Array> = {};
    for (const name in p.metadata ?? {}) {
      const value = p.metadata?.[name];
      if (value) metadata[name] = this.copy(value);
    }
    return { ...p, metadata, data: p.data ? this.copy(p.data) : p.data };
  }

  private copy(bytes: Uint8Array): Buffer {
    if (bytes.length >= SLAB_MAX) return Buffer.from(bytes);
    if (this.used + bytes.length > this.slab.length) {
      this.slab = Buffer.allocUnsafeSlow(SLAB_BYTES);
      this.used = 0;
    }
    this.slab.set(bytes, this.used);
    this.used += bytes.length;
    return this.slab.subarray(this.used - bytes.length, this.used);
  }
}

function latin1(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}

const payloads = new PayloadTable();

/**
 * The visibility record of a run going out (or of one a restart reads from a snapshot's
 * index). Its payloads are shared with other runs where they are the same and copied into
 * slabs where not (`PayloadTable`): those decoded from a request or a journal are views into
 * much larger buffers, which would otherwise stay alive with them. The record is read, never
 * changed: a run that changes is loaded back first, with a state of its own.
 */
export function compactVisible(s: VisibleState): VisibleState {
  return {
    kind: s.kind,
    namespace: s.namespace,
    workflowId: s.workflowId,
    runId: s.runId,
    workflowType: s.workflowType,
    taskQueue: s.taskQueue,
    status: s.status,
    startTime: s.startTime,
    executionTime: s.executionTime,
    closeTime: s.closeTime,
    parent: s.parent,
    root: s.root,
    memo: payloads.fields(s.memo),
    searchAttributes: payloads.fields(s.searchAttributes),
    historySizeBytes: s.historySizeBytes,
    firstRunId: s.firstRunId,
    versioning: s.versioning,
    versioningOverride: s.versioningOverride,
  };
}
