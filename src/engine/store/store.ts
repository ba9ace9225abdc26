import type { Logger } from '../../log';
import type { NamespaceState } from '../namespaces';
import type { HistoryEvent } from '../proto';
import type { RunState } from '../model/state';
import type { ScheduleRecord } from '../schedule/scheduler';
import type { BatchRecord } from '../batch/batcher';
import type { DeploymentRecord } from '../deployments/deployments';
import type { EndpointRecord } from '../nexus/endpoints';
import { Journal, type JournalLocation, type SnapshotPolicy } from './journal';

/**
 * One run as the journal holds it. The keys are short because they are written for every run
 * of every transaction; journals on disk use them, so they stay.
 */
export interface JournaledRun {
  /** The run's whole state after the transaction. */
  s: RunState;
  /** Its history events: in a record the ones new since the last record, in a snapshot all. */
  e: HistoryEvent[];
}

/** One transaction: the new events and the new state of every run it touched. */
export interface TxRecord {
  runs?: JournaledRun[];
  /** Namespaces the transaction changed, whole. */
  ns?: NamespaceState[];
  /** Runs removed (deleted, or closed past their namespace's retention), by run id. */
  del?: string[];
  /** Schedules the transaction changed, whole; and those it deleted, by namespace and id. */
  sch?: ScheduleRecord[];
  schDel?: string[];
  /** Batch jobs the transaction changed, whole. */
  bat?: BatchRecord[];
  /** Worker deployments the transaction changed, whole; and those it deleted, by namespace and name. */
  dep?: DeploymentRecord[];
  depDel?: string[];
  /** Nexus endpoints the transaction changed, whole; and those it deleted, by id. */
  nex?: EndpointRecord[];
  nexDel?: string[];
}

export interface SnapshotState {
  runs: JournaledRun[];
  /** Every namespace. */
  ns: NamespaceState[];
  /** Every schedule (absent in snapshots written before schedules). */
  sch?: ScheduleRecord[];
  /** Every batch job (absent in snapshots written before batch operations). */
  bat?: BatchRecord[];
  /** Every worker deployment (absent in snapshots written before worker versioning). */
  dep?: DeploymentRecord[];
  /** Every Nexus endpoint (absent in snapshots written before Nexus). */
  nex?: EndpointRecord[];
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

  static async open(where: JournalLocation, log: Logger, policy?: SnapshotPolicy): Promise<{ store: FileStore; snapshot?: SnapshotState; records: TxRecord[] }> {
    const { journal, recovered } = await Journal.open(where, log, policy);
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
