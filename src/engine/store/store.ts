import path from 'node:path';
import type { Logger } from '../../log';
import type { NamespaceState } from '../namespaces';
import type { HistoryEvent } from '../proto';
import type { RunState, VisibleState } from '../model/state';
import type { ScheduleRecord } from '../schedule/scheduler';
import type { BatchRecord } from '../batch/batcher';
import type { DeploymentRecord } from '../deployments/deployments';
import type { EndpointRecord } from '../nexus/endpoints';
import { EncodedJson, encodeJson } from './codec';
import { Journal, runsFileName, type JournalLocation, type SnapshotPolicy } from './journal';

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

/**
 * A run in a snapshot's index (folder layout, since paging): what stays resident of it, and
 * where its page is in the snapshot's runs file (`runs-<G>.dat`).
 */
export interface IndexedRun {
  /** Its visibility record, history length, last sticky queue and next deadline. */
  v: VisibleState;
  n: number;
  q?: string;
  w?: number;
  /** Offset and length of its page. */
  o: number;
  l: number;
  /** Something was in flight (a task, an activity…): loaded at once on recovery. */
  a?: 1;
}

export interface SnapshotState {
  /** Every run, whole (snapshots of the one-file layout, and of folders before paging). */
  runs?: JournaledRun[];
  /** Or every run as an index entry, its page in the runs file of generation `g`; `t` the last task id. */
  index?: IndexedRun[];
  g?: number;
  t?: number;
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

/** A snapshot being written: a run is its journal encoding, or that encoding's text (a paged-out run's page). */
export type SnapshotCapture = Omit<SnapshotState, 'runs'> & { runs: (JournaledRun | string)[] };

/** Encodes a snapshot, splicing runs already encoded in as they are. */
export function encodeSnapshot(capture: SnapshotCapture): EncodedJson {
  const { runs, ...rest } = capture;
  const body = encodeJson(rest);
  const parts = runs.map((run) => (typeof run === 'string' ? run : encodeJson(run)));
  return new EncodedJson(`{"runs":[${parts.join(',')}],${body.slice(1)}`);
}

export interface Store {
  readonly durable: boolean;
  /** Where paged-out runs go: a scratch file beside the journal, or undefined to keep them in memory. */
  readonly pagesFile: string | undefined;
  /** The runs file of a snapshot generation, where snapshots keep their runs' pages (folder layout only). */
  readonly runsFile: ((gen: number) => string) | undefined;
  append(record: TxRecord): void;
  /** Resolves when everything appended is durable; undefined when it already is. */
  sync(): Promise<void> | undefined;
  /** Writes a snapshot when the journal has grown enough; `capture` runs synchronously. */
  maybeSnapshot(capture: (gen: number) => EncodedJson): void;
  close(): Promise<void>;
}

/** In-memory mode (tests, time skipping): nothing to write. */
export class MemoryStore implements Store {
  readonly durable = false;
  readonly pagesFile = undefined;
  readonly runsFile = undefined;
  append(): void {}
  sync(): undefined {
    return undefined;
  }
  maybeSnapshot(): void {}
  async close(): Promise<void> {}
}

export class FileStore implements Store {
  readonly durable = true;
  readonly pagesFile: string;
  readonly runsFile: ((gen: number) => string) | undefined;
  private constructor(
    private readonly journal: Journal,
    where: JournalLocation,
  ) {
    this.pagesFile = 'file' in where ? `${where.file}.pages` : path.join(where.dir, 'pages.dat');
    this.runsFile = 'dir' in where ? (gen) => path.join(where.dir, runsFileName(gen)) : undefined;
  }

  static async open(where: JournalLocation, log: Logger, policy?: SnapshotPolicy): Promise<{ store: FileStore; snapshot?: SnapshotState; records: TxRecord[] }> {
    const { journal, recovered } = await Journal.open(where, log, policy);
    return { store: new FileStore(journal, where), snapshot: recovered.snapshot as SnapshotState | undefined, records: recovered.records as TxRecord[] };
  }

  append(record: TxRecord): void {
    this.journal.append(record);
  }

  sync(): Promise<void> | undefined {
    return this.journal.sync();
  }

  maybeSnapshot(capture: (gen: number) => EncodedJson): void {
    if (this.journal.wantsSnapshot) void this.journal.snapshot(capture(this.journal.nextGen));
  }

  /** Compacts now (used once after recovery so a restart starts from one snapshot). */
  snapshotNow(capture: (gen: number) => EncodedJson): Promise<void> {
    return this.journal.snapshot(capture(this.journal.nextGen));
  }

  close(): Promise<void> {
    return this.journal.close();
  }
}
