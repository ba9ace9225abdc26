import path from 'node:path';
import type { CarrierStatus } from '../../carrier/types';
import type { Logger } from '../../log';
import { Journal } from '../journal';

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

const JOURNAL_FILE = 'carrier-twin.journal';
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
}

/**
 * The twin's faxes, in memory and, with a data folder, in an append-only journal
 * (`../journal.ts`): every insert or update records the fax, and `flush()` resolves once
 * that is on disk.
 */
export class FaxStore {
  private readonly faxes = new Map<string, TwinFax>();

  private constructor(private readonly journal: Journal | null) {}

  static async open(dataDir: string | undefined, log: Logger, opts: FaxStoreOptions = {}): Promise<FaxStore> {
    if (!dataDir) return new FaxStore(null);
    // A compaction reads the store's faxes, and the store exists once the journal is open.
    const holder: { store?: FaxStore } = {};
    const legacyFile = path.join(dataDir, LEGACY_FILE);
    const { journal, entries } = await Journal.open({
      file: path.join(dataDir, JOURNAL_FILE),
      log,
      minCompactBytes: opts.minCompactBytes,
      entries: () => holder.store?.faxes ?? [],
      legacy: { file: legacyFile, read: (text) => legacyEntries(legacyFile, text) },
    });
    const store = new FaxStore(journal);
    for (const [id, fax] of entries) store.faxes.set(id, fax as TwinFax);
    holder.store = store;
    return store;
  }

  get(id: string): TwinFax | undefined {
    return this.faxes.get(id);
  }

  all(): TwinFax[] {
    return [...this.faxes.values()];
  }

  insert(fax: TwinFax): void {
    this.faxes.set(fax.id, fax);
    this.journal?.put(fax.id, fax);
  }

  update(fax: TwinFax, changes: Partial<TwinFax>): TwinFax {
    Object.assign(fax, changes, { updated_at: new Date().toISOString() });
    this.journal?.put(fax.id, fax);
    return fax;
  }

  /** Resolves once everything changed so far is on disk; rejects when the disk failed. */
  flush(): Promise<void> {
    return this.journal?.flush() ?? Promise.resolve();
  }

  /** Writes what is pending and closes the journal. */
  async close(): Promise<void> {
    await this.journal?.close();
  }
}
