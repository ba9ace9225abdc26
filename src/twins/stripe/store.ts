import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { silentLogger, type Logger } from '../../log';
import { FilePages } from '../../engine/store/pages';
import { Journal } from '../journal';
import type { PagedMap } from '../paged-map';
import { emptyState, type TwinCollections, type TwinFields, type TwinState } from './model';

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** A Stripe-looking id: `cs_test_a1B2…`, `pi_3Q…`, `evt_1…`. */
export function newId(prefix: string, length = 24): string {
  const bytes = randomBytes(length);
  let out = '';
  for (const b of bytes) out += ALPHABET[b % ALPHABET.length];
  return `${prefix}_${out}`;
}

const JOURNAL_FILE = 'stripe-twin.journal';
/** Where settled objects go while idle (scratch: the journal holds them all). */
const PAGES_FILE = 'stripe-twin.pages';
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
/** How long a settled object stays in memory after its last use. */
const DEFAULT_PAGE_IDLE_MS = 30_000;
/** The page file is rewritten with only its live pages once past this size and more than half holes. */
const COMPACT_PAGES_BYTES = 32 * 1024 * 1024;

/** The state's maps of objects by id; each object is one journal record, `<collection>/<id>`. */
export type Collection = keyof TwinCollections;
/** The state's single values; each is one journal record under its name. */
export type Field = keyof TwinFields;

const COLLECTIONS: readonly Collection[] = ['sessions', 'intents', 'charges', 'refunds', 'events', 'deliveries', 'idempotency'];
const FIELDS: readonly Field[] = ['secret', 'clockOffsetMs', 'refundFailingCharges', 'failingRefunds'];

export interface TwinStoreOptions {
  log?: Logger;
  /** Journal size below which it is never compacted (tests make it small). */
  minCompactBytes?: number;
  /** Events kept at most (DEFAULT_MAX_EVENTS). */
  maxEvents?: number;
  /** How long a settled object stays in memory after its last use (DEFAULT_PAGE_IDLE_MS). */
  pageIdleMs?: number;
  /** Page file size below which it is never compacted (COMPACT_PAGES_BYTES; tests make it small). */
  compactPagesBytes?: number;
}

function* entriesOf(state: TwinState): Generator<readonly [string, unknown]> {
  for (const field of FIELDS) yield [field, state[field]];
  for (const collection of COLLECTIONS) for (const [id, value] of state[collection].entries()) yield [`${collection}/${id}`, value];
}

/** Fills a state with journal entries (or the legacy file's entries). */
function load(state: TwinState, entries: Map<string, unknown>): void {
  const fields = state as unknown as Record<string, unknown>;
  for (const [key, value] of entries) {
    const slash = key.indexOf('/');
    if (slash < 0) {
      if ((FIELDS as readonly string[]).includes(key)) fields[key] = value;
      continue;
    }
    const collection = key.slice(0, slash);
    if ((COLLECTIONS as readonly string[]).includes(collection)) (state[collection as Collection] as PagedMap<unknown>).set(key.slice(slash + 1), value);
  }
}

/** The state file of earlier versions: every collection a plain object of objects by id. */
type LegacyState = { version: number } & TwinFields & { [C in Collection]?: Record<string, unknown> };

function* legacyEntries(file: string, text: string): Generator<readonly [string, unknown]> {
  const state = JSON.parse(text) as LegacyState;
  if (state.version !== 1) throw new Error(`${file}: unknown state version ${String(state.version)}`);
  for (const field of FIELDS) if (state[field] !== undefined) yield [field, state[field]];
  for (const collection of COLLECTIONS) for (const [id, value] of Object.entries(state[collection] ?? {})) yield [`${collection}/${id}`, value];
}

/**
 * The twin's state: in memory, and when a data folder is given, also in an append-only
 * journal (`../journal.ts`). Code that changes an object says so with `changed()`; `save()`
 * records those objects and resolves once they are on disk, so a restart or a crash loses
 * nothing that was answered. With a data folder, settled objects idle for a while go to a page
 * file (`pageOut()`, from the sweep), so memory holds what is in play, not every fax ever paid.
 */
export class TwinStore {
  private readonly dirty = new Set<string>();
  private lastPurge = 0;

  /** The events' ids, oldest first. */
  private readonly eventIds: Set<string>;
  /** The Checkout Session of each PaymentIntent (capture marks its session paid). */
  private readonly sessionIds = new Map<string, string>();

  private constructor(
    readonly state: TwinState,
    private readonly journal: Journal | null,
    private readonly pages: FilePages | null,
    private readonly opts: { maxEvents: number; pageIdleMs: number; compactPagesBytes: number },
  ) {
    this.eventIds = new Set(state.events.keys());
    for (const rec of state.sessions.residentValues()) if (rec.json.payment_intent) this.sessionIds.set(rec.json.payment_intent, rec.json.id);
  }

  static async open(dataDir?: string, opts: TwinStoreOptions = {}): Promise<TwinStore> {
    const settings = {
      maxEvents: opts.maxEvents ?? DEFAULT_MAX_EVENTS,
      pageIdleMs: opts.pageIdleMs ?? DEFAULT_PAGE_IDLE_MS,
      compactPagesBytes: opts.compactPagesBytes ?? COMPACT_PAGES_BYTES,
    };
    if (!dataDir) return new TwinStore(emptyState(randomBytes(32).toString('hex'), null), null, null, settings);
    await fs.mkdir(dataDir, { recursive: true });
    const pages = new FilePages(path.join(dataDir, PAGES_FILE));
    const state = emptyState('', pages);
    const legacyFile = path.join(dataDir, LEGACY_FILE);
    let loaded = false;
    const { journal, entries } = await Journal.open({
      file: path.join(dataDir, JOURNAL_FILE),
      log: opts.log ?? silentLogger,
      minCompactBytes: opts.minCompactBytes,
      entries: () => (loaded ? entriesOf(state) : []),
      legacy: { file: legacyFile, read: (text) => legacyEntries(legacyFile, text) },
    });
    load(state, entries);
    entries.clear();
    loaded = true;
    const store = new TwinStore(state, journal, pages, settings);
    if (!state.secret) {
      state.secret = randomBytes(32).toString('hex');
      store.changed('secret');
    }
    await store.save();
    // What a restart read back is idle: settled objects go out at once.
    store.pageOut(Infinity);
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

  /** The id of the Checkout Session that made a PaymentIntent, if one did. */
  sessionOf(paymentIntentId: string): string | undefined {
    return this.sessionIds.get(paymentIntentId);
  }

  /** A Checkout Session made its PaymentIntent. */
  intentMade(paymentIntentId: string, sessionId: string): void {
    this.sessionIds.set(paymentIntentId, sessionId);
  }

  /**
   * Takes note of an event just added; beyond `maxEvents`, the oldest events whose webhook was
   * delivered or given up are dropped with their delivery records. One still to be delivered
   * stays, however old.
   */
  eventAdded(id: string): void {
    this.eventIds.add(id);
    if (this.eventIds.size <= this.opts.maxEvents) return;
    for (const old of this.eventIds) {
      if (this.eventIds.size <= this.opts.maxEvents) break;
      const delivery = this.state.deliveries.get(old);
      if (delivery && !delivery.delivered && delivery.nextAttemptAt !== null) continue;
      this.eventIds.delete(old);
      this.state.events.delete(old);
      this.changed('events', old);
      if (delivery) {
        this.state.deliveries.delete(old);
        this.changed('deliveries', old);
      }
    }
  }

  /** Marks an object (added, changed or deleted) or a single value for the next save. */
  changed(what: Field): void;
  changed(what: Collection, id: string): void;
  changed(what: Collection | Field, id?: string): void {
    if (id !== undefined) this.state[what as Collection].changed(id);
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

  /**
   * Pages out the settled objects unused for `pageIdleMs` (all settled ones with `Infinity`),
   * and compacts the page file once it is mostly holes. Returns how many went.
   */
  pageOut(idleMs = this.opts.pageIdleMs): number {
    if (!this.pages) return 0;
    const before = idleMs === Infinity ? Infinity : Date.now() - idleMs;
    let out = 0;
    for (const collection of COLLECTIONS) out += this.collection(collection).pageOut(before, (id) => this.dirty.has(`${collection}/${id}`));
    if (this.pages.totalBytes > this.opts.compactPagesBytes && this.pages.liveBytes * 2 < this.pages.totalBytes) {
      const maps = COLLECTIONS.map((collection) => this.collection(collection));
      const refs = maps.map((map) => map.pageRefs());
      const moved = this.pages.compact(refs.flat());
      let at = 0;
      maps.forEach((map, i) => {
        map.movePages(moved.slice(at, (at += refs[i].length)));
      });
    }
    return out;
  }

  /** Objects in memory and in all (for tests and benches). */
  residency(): { resident: number; total: number } {
    let resident = 0;
    let total = 0;
    for (const collection of COLLECTIONS) {
      resident += this.collection(collection).residentCount;
      total += this.collection(collection).size;
    }
    return { resident, total };
  }

  /** Saves and closes the journal. */
  async close(): Promise<void> {
    await this.save();
    await this.journal?.close();
    this.pages?.close();
  }

  private collection(name: Collection): PagedMap<unknown> {
    return this.state[name] as PagedMap<unknown>;
  }

  private valueOf(key: string): unknown {
    const slash = key.indexOf('/');
    if (slash < 0) return this.state[key as Field];
    return this.collection(key.slice(0, slash) as Collection).get(key.slice(slash + 1));
  }

  private purgeIdempotency(): void {
    this.lastPurge = Date.now();
    const before = this.now() - IDEMPOTENCY_TTL_MS;
    for (const [key, created] of [...this.state.idempotency.stamps()]) {
      if (created >= before) continue;
      this.state.idempotency.delete(key);
      this.changed('idempotency', key);
    }
  }
}
