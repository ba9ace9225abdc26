import fs from 'node:fs/promises';
import path from 'node:path';
import type { CarrierStatus } from '../../carrier/types';
import { FilePages } from '../../engine/store/pages';
import type { Logger } from '../../log';
import { Journal } from '../journal';
import { PagedMap } from '../paged-map';

/** One outbound fax as the twin keeps it (Telnyx field names, so the resource is a projection). */
export interface TwinFax {
  id: string;
  connection_id: string;
  from: string;
  to: string;
  media_url: string;
  client_state: string | null;
  webhook_url: string | null;
  status: CarrierStatus;
  failure_reason: string | null;
  /** Pages transmitted so far (Telnyx's `page_count`: what is billed). */
  page_count: number | null;
  call_duration_secs: number | null;
  created_at: string;
  updated_at: string;
  /** Internal: the Durafax fax id from client_state, when there is one. */
  fax_key: string | null;
  /** Internal: the attempt from client_state, when there is one. */
  attempt: number | null;
  /** Internal: pages in the fetched document. */
  document_pages: number | null;
  /** Internal: the destination was dialled (the call was placed). */
  dialed: boolean;
}

/** A fax in one of these states changes no more. */
export const FINAL: readonly CarrierStatus[] = ['delivered', 'failed'];

/** Whose calls are counted together: the Durafax fax (from client_state), else the destination. */
export function callKey(fax: TwinFax): string {
  return fax.fax_key ?? `to:${fax.to}`;
}

const JOURNAL_FILE = 'carrier-twin.journal';
/** Where final faxes go while idle (scratch: the journal holds them all). */
const PAGES_FILE = 'carrier-twin.pages';
/** How long a final fax stays in memory after its last use, and how often that is looked at. */
const PAGE_IDLE_MS = 30_000;
const PAGE_CHECK_MS = 5_000;
/** The whole-state file of earlier versions, migrated into the journal once. */
const LEGACY_FILE = 'carrier-twin.json';

interface LegacyStateFile {
  version: 1;
  faxes: TwinFax[];
}

function legacyEntries(file: string, text: string): Array<readonly [string, TwinFax]> {
  const state = JSON.parse(text) as LegacyStateFile;
  if (state.version !== 1 || !Array.isArray(state.faxes)) throw new Error(`${file}: unknown state format`);
  return state.faxes.map((fax) => [fax.id, fax] as const);
}

export interface FaxStoreOptions {
  /** Journal size below which it is never compacted (default 1 MiB). */
  minCompactBytes?: number;
  /** How long a final fax stays in memory after its last use, with a data folder (default 30 s). */
  pageIdleMs?: number;
}

/**
 * The twin's faxes, in memory and, with a data folder, in an append-only journal
 * (`../journal.ts`): every insert or update records the fax, and `flush()` resolves once
 * that is on disk. With a data folder, final faxes idle for 30 s go to a page file and are
 * read back when asked for, so memory holds the faxes in flight, not every one ever sent.
 */
export class FaxStore {
  private readonly faxes: PagedMap<TwinFax>;
  /** Calls placed so far, by whose calls count together and destination: what a new call's plan depends on. */
  private readonly calls = new Map<string, number>();
  private readonly pager: NodeJS.Timeout | undefined;

  private constructor(
    private readonly journal: Journal | null,
    private readonly pages: FilePages | null,
    pageIdleMs: number,
  ) {
    this.faxes = new PagedMap(pages, { pageable: (fax) => FINAL.includes(fax.status) });
    if (pages) {
      this.pager = setInterval(() => this.faxes.pageOut(Date.now() - pageIdleMs, () => false), Math.min(PAGE_CHECK_MS, Math.max(10, pageIdleMs)));
      this.pager.unref();
    }
  }

  static async open(dataDir: string | undefined, log: Logger, opts: FaxStoreOptions = {}): Promise<FaxStore> {
    const pageIdleMs = opts.pageIdleMs ?? PAGE_IDLE_MS;
    if (!dataDir) return new FaxStore(null, null, pageIdleMs);
    await fs.mkdir(dataDir, { recursive: true });
    // A compaction reads the store's faxes, and the store exists once the journal is open.
    const holder: { store?: FaxStore } = {};
    const legacyFile = path.join(dataDir, LEGACY_FILE);
    const { journal, entries } = await Journal.open({
      file: path.join(dataDir, JOURNAL_FILE),
      log,
      minCompactBytes: opts.minCompactBytes,
      entries: () => holder.store?.faxes.entries() ?? [],
      legacy: { file: legacyFile, read: (text) => legacyEntries(legacyFile, text) },
    });
    const store = new FaxStore(journal, new FilePages(path.join(dataDir, PAGES_FILE)), pageIdleMs);
    for (const [id, fax] of entries) store.load(id, fax as TwinFax);
    entries.clear();
    holder.store = store;
    // What a restart read back is idle: final faxes go out at once.
    store.faxes.pageOut(Infinity, () => false);
    return store;
  }

  get(id: string): TwinFax | undefined {
    return this.faxes.get(id);
  }

  /** Every fax, oldest first; those paged out are read back (for lists, which are rare). */
  all(): TwinFax[] {
    return [...this.faxes.values()];
  }

  /** The faxes not yet final (all in memory). */
  inFlight(): TwinFax[] {
    return [...this.faxes.residentValues()].filter((fax) => !FINAL.includes(fax.status));
  }

  /** How many calls were placed before for the same fax (or destination) and number, this one's aside. */
  earlierCalls(fax: TwinFax): number {
    return (this.calls.get(callsKey(fax)) ?? 0) - (fax.dialed ? 1 : 0);
  }

  /** Faxes in memory, and in all (for tests). */
  residency(): { resident: number; total: number } {
    return { resident: this.faxes.residentCount, total: this.faxes.size };
  }

  insert(fax: TwinFax): void {
    this.load(fax.id, fax);
    this.journal?.put(fax.id, fax);
  }

  update(fax: TwinFax, changes: Partial<TwinFax>): TwinFax {
    const dialed = fax.dialed;
    Object.assign(fax, changes, { updated_at: new Date().toISOString() });
    if (!dialed && fax.dialed) this.calls.set(callsKey(fax), (this.calls.get(callsKey(fax)) ?? 0) + 1);
    this.faxes.changed(fax.id);
    this.journal?.put(fax.id, fax);
    return fax;
  }

  /** Resolves once everything changed so far is on disk; rejects when the disk failed. */
  flush(): Promise<void> {
    return this.journal?.flush() ?? Promise.resolve();
  }

  /** Writes what is pending and closes the journal. */
  async close(): Promise<void> {
    if (this.pager) clearInterval(this.pager);
    await this.journal?.close();
    this.pages?.close();
  }

  private load(id: string, fax: TwinFax): void {
    this.faxes.set(id, fax);
    if (fax.dialed) this.calls.set(callsKey(fax), (this.calls.get(callsKey(fax)) ?? 0) + 1);
  }
}

function callsKey(fax: TwinFax): string {
  return `${callKey(fax)}\n${fax.to}`;
}
