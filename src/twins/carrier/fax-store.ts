import fs from 'node:fs/promises';
import path from 'node:path';
import type { CarrierStatus } from '../../carrier/types';
import type { Logger } from '../../log';

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

const STATE_FILE = 'carrier-twin.json';

interface StateFile {
  version: 1;
  faxes: TwinFax[];
}

/**
 * The twin's faxes, in memory and, with a data folder, in one JSON file rewritten atomically
 * after every change (writes are coalesced and serialised).
 */
export class FaxStore {
  private readonly faxes = new Map<string, TwinFax>();
  private writing: Promise<void> = Promise.resolve();
  private queued = false;

  private constructor(
    private readonly file: string | null,
    private readonly log: Logger,
  ) {}

  static async open(dataDir: string | undefined, log: Logger): Promise<FaxStore> {
    const store = new FaxStore(dataDir ? path.join(dataDir, STATE_FILE) : null, log);
    if (!store.file) return store;
    await fs.mkdir(path.dirname(store.file), { recursive: true });
    let text: string;
    try {
      text = await fs.readFile(store.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return store;
      throw err;
    }
    const state = JSON.parse(text) as StateFile;
    if (state.version !== 1 || !Array.isArray(state.faxes)) throw new Error(`${store.file}: unknown state format`);
    for (const fax of state.faxes) store.faxes.set(fax.id, fax);
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
    this.save();
  }

  update(fax: TwinFax, changes: Partial<TwinFax>): TwinFax {
    Object.assign(fax, changes, { updated_at: new Date().toISOString() });
    this.save();
    return fax;
  }

  /** Resolves once everything changed so far is on disk. */
  flush(): Promise<void> {
    return this.writing;
  }

  private save(): void {
    if (!this.file || this.queued) return;
    const file = this.file;
    this.queued = true;
    this.writing = this.writing
      .then(async () => {
        this.queued = false;
        const state: StateFile = { version: 1, faxes: this.all() };
        const tmp = `${file}.${process.pid}.tmp`;
        await fs.writeFile(tmp, JSON.stringify(state));
        await fs.rename(tmp, file);
      })
      .catch((err: unknown) => this.log.error('carrier twin could not save its state', { err }));
  }
}
