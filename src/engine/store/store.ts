import type { Logger } from '../../log';
import type { NamespaceState } from '../namespaces';
import type { HistoryEvent } from '../proto';
import type { RunState } from '../model/state';
import { Journal } from './journal';

/** One transaction: the new events and the new state of every run it touched. */
export interface TxRecord {
  runs?: { s: RunState; e: HistoryEvent[] }[];
  ns?: NamespaceState[];
  /** Closed runs past their namespace's retention, removed. */
  del?: string[];
}

export interface SnapshotState {
  runs: { s: RunState; e: HistoryEvent[] }[];
  ns: NamespaceState[];
}

export interface Store {
  readonly durable: boolean;
  append(record: TxRecord): void;
  /** Resolves when everything appended is durable; undefined when it already is. */
  sync(): Promise<void> | undefined;
  /** Writes a snapshot when the journal has grown enough; `capture` runs synchronously. */
  maybeSnapshot(capture: () => SnapshotState): void;
  close(): Promise<void>;
}

/** In-memory mode (tests, time skipping): nothing to write. */
export class MemoryStore implements Store {
  readonly durable = false;
  append(): void {}
  sync(): undefined {
    return undefined;
  }
  maybeSnapshot(): void {}
  async close(): Promise<void> {}
}

export class FileStore implements Store {
  readonly durable = true;
  private constructor(private readonly journal: Journal) {}

  static async open(dir: string, log: Logger, compactBytes?: number): Promise<{ store: FileStore; snapshot?: SnapshotState; records: TxRecord[] }> {
    const { journal, recovered } = await Journal.open(dir, log, compactBytes);
    return { store: new FileStore(journal), snapshot: recovered.snapshot as SnapshotState | undefined, records: recovered.records as TxRecord[] };
  }

  append(record: TxRecord): void {
    this.journal.append(record);
  }

  sync(): Promise<void> | undefined {
    return this.journal.sync();
  }

  maybeSnapshot(capture: () => SnapshotState): void {
    if (this.journal.wantsSnapshot) void this.journal.snapshot(capture());
  }

  /** Compacts now (used once after recovery so a restart starts from one snapshot). */
  snapshotNow(state: SnapshotState): Promise<void> {
    return this.journal.snapshot(state);
  }

  close(): Promise<void> {
    return this.journal.close();
  }
}
