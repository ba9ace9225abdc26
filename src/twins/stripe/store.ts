import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { silentLogger, type Logger } from '../../log';
import { Journal } from '../journal';
import { emptyState, type TwinState } from './model';

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** A Stripe-looking id: `cs_test_a1B2…`, `pi_3Q…`, `evt_1…`. */
export function newId(prefix: string, length = 24): string {
  const bytes = randomBytes(length);
  let out = '';
  for (const b of bytes) out += ALPHABET[b % ALPHABET.length];
  return `${prefix}_${out}`;
}

const JOURNAL_FILE = 'stripe-twin.journal';
/** The whole-state file of earlier versions, migrated into the journal once. */
const LEGACY_FILE = 'stripe-twin.json';
/** Stripe keeps idempotency results for 24 hours. */
const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;
/**
 * How many events the sandbox keeps: beyond it the oldest whose webhook is settled go, with
 * their delivery records (Stripe keeps 30 days of events; a sandbox that kept every one held
 * 60,000 after 10,000 faxes, most of its memory).
 */
export const DEFAULT_MAX_EVENTS = 10_000;
/** How often expired idempotency results are dropped from the state. */
const PURGE_INTERVAL_MS = 60_000;

/** The state's maps of objects by id; each object is one journal record, `<collection>/<id>`. */
export type Collection = 'sessions' | 'intents' | 'charges' | 'refunds' | 'events' | 'deliveries' | 'idempotency';
/** The state's single values; each is one journal record under its name. */
export type Field = 'secret' | 'clockOffsetMs' | 'refundFailingCharges' | 'failingRefunds';

const COLLECTIONS: readonly Collection[] = ['sessions', 'intents', 'charges', 'refunds', 'events', 'deliveries', 'idempotency'];
const FIELDS: readonly Field[] = ['secret', 'clockOffsetMs', 'refundFailingCharges', 'failingRefunds'];

export interface TwinStoreOptions {
  log?: Logger;
  /** Journal size below which it is never compacted (tests make it small). */
  minCompactBytes?: number;
  /** Events kept at most (DEFAULT_MAX_EVENTS). */
  maxEvents?: number;
}

function* entriesOf(state: TwinState): Generator<readonly [string, unknown]> {
  for (const field of FIELDS) yield [field, state[field]];
  for (const collection of COLLECTIONS) for (const [id, value] of Object.entries(state[collection])) yield [`${collection}/${id}`, value];
}

/** Rebuilds the state from journal entries (or from the legacy file's entries). */
function stateOf(entries: Map<string, unknown>): TwinState {
  const state = emptyState('');
  const target = state as unknown as Record<string, unknown>;
  for (const [key, value] of entries) {
    const slash = key.indexOf('/');
    if (slash < 0) {
      if ((FIELDS as readonly string[]).includes(key)) target[key] = value;
      continue;
    }
    const collection = key.slice(0, slash);
    if ((COLLECTIONS as readonly string[]).includes(collection)) (state[collection as Collection] as Record<string, unknown>)[key.slice(slash + 1)] = value;
  }
  return state;
}

function legacyEntries(file: string, text: string): Iterable<readonly [string, unknown]> {
  const state = JSON.parse(text) as TwinState;
  if (state.version !== 1) throw new Error(`${file}: unknown state version ${String(state.version)}`);
  return entriesOf({ ...emptyState(state.secret), ...state });
}

/**
 * The twin's state: in memory, and when a data folder is given, also in an append-only
 * journal (`../journal.ts`). Code that changes an object says so with `changed()`; `save()`
 * records those objects and resolves once they are on disk, so a restart or a crash loses
 * nothing that was answered.
 */
export class TwinStore {
  private readonly dirty = new Set<string>();
  private lastPurge = 0;

  /** The events' ids, oldest first. */
  private readonly eventIds: Set<string>;

  private constructor(
    readonly state: TwinState,
    private readonly journal: Journal | null,
    private readonly maxEvents: number,
  ) {
    this.eventIds = new Set(Object.keys(state.events));
  }

  static async open(dataDir?: string, opts: TwinStoreOptions = {}): Promise<TwinStore> {
    const maxEvents = opts.maxEvents ?? DEFAULT_MAX_EVENTS;
    if (!dataDir) return new TwinStore(emptyState(randomBytes(32).toString('hex')), null, maxEvents);
    let state: TwinState | null = null;
    const legacyFile = path.join(dataDir, LEGACY_FILE);
    const { journal, entries } = await Journal.open({
      file: path.join(dataDir, JOURNAL_FILE),
      log: opts.log ?? silentLogger,
      minCompactBytes: opts.minCompactBytes,
      entries: () => entriesOf(state ?? emptyState('')),
      legacy: { file: legacyFile, read: (text) => legacyEntries(legacyFile, text) },
    });
    state = stateOf(entries);
    const store = new TwinStore(state, journal, maxEvents);
    if (!state.secret) {
      state.secret = randomBytes(32).toString('hex');
      store.changed('secret');
    }
    await store.save();
    return store;
  }

  /** Milliseconds on the twin's clock: wall time plus the test-clock offset. */
  now(): number {
    return Date.now() + this.state.clockOffsetMs;
  }

  /** Seconds on the twin's clock, as Stripe's timestamps are. */
  seconds(): number {
    return Math.floor(this.now() / 1000);
  }

  /** Whether an idempotency result is past Stripe's 24 hours (it is then as if never stored). */
  expired(record: { created: number }): boolean {
    return record.created < this.now() - IDEMPOTENCY_TTL_MS;
  }

  /**
   * Takes note of an event just added; beyond `maxEvents`, the oldest events whose webhook was
   * delivered or given up are dropped with their delivery records. One still to be delivered
   * stays, however old.
   */
  eventAdded(id: string): void {
    this.eventIds.add(id);
    if (this.eventIds.size <= this.maxEvents) return;
    for (const old of this.eventIds) {
      if (this.eventIds.size <= this.maxEvents) break;
      const delivery = this.state.deliveries[old];
      if (delivery && !delivery.delivered && delivery.nextAttemptAt !== null) continue;
      this.eventIds.delete(old);
      delete this.state.events[old];
      this.changed('events', old);
      if (delivery) {
        delete this.state.deliveries[old];
        this.changed('deliveries', old);
      }
    }
  }

  /** Marks an object (added, changed or deleted) or a single value for the next save. */
  changed(what: Field): void;
  changed(what: Collection, id: string): void;
  changed(what: Collection | Field, id?: string): void {
    if (this.journal) this.dirty.add(id === undefined ? what : `${what}/${id}`);
  }

  /**
   * Records everything marked as changed since the last call; resolves once it is on disk
   * (and once any record of concurrent calls is, so what a request reads is durable too).
   */
  save(): Promise<void> {
    if (!this.journal) return Promise.resolve();
    if (Date.now() - this.lastPurge >= PURGE_INTERVAL_MS) this.purgeIdempotency();
    for (const key of this.dirty) this.journal.put(key, this.valueOf(key));
    this.dirty.clear();
    return this.journal.flush();
  }

  /** Saves and closes the journal. */
  async close(): Promise<void> {
    await this.save();
    await this.journal?.close();
  }

  private valueOf(key: string): unknown {
    const slash = key.indexOf('/');
    if (slash < 0) return this.state[key as Field];
    return this.state[key.slice(0, slash) as Collection][key.slice(slash + 1)];
  }

  private purgeIdempotency(): void {
    this.lastPurge = Date.now();
    for (const [key, rec] of Object.entries(this.state.idempotency)) {
      if (!this.expired(rec)) continue;
      delete this.state.idempotency[key];
      this.changed('idempotency', key);
    }
  }
}
