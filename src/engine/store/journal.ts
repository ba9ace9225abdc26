import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import type { Logger } from '../../log';
import { decodeJson, encodeJson } from './codec';
import { processAlive } from '../../pid';

/**
 * An append-only, fsync'ed journal plus snapshots, in one of two places:
 *  - a folder (`--data-dir`): numbered segments `journal-<G>.log` and `snapshot-<G>.json`;
 *  - one file (`--db-filename F`, as the dev server's database file): the snapshot as its first
 *    record, the journal after it.
 *
 * Each record is `[length u32][crc32 u32][JSON]`; a torn or corrupt tail (a crash mid-write)
 * ends the journal and is cut off on open. Appends are serialised at once (state keeps
 * changing) and written in groups: one write and one fdatasync per batch, however many RPCs
 * it covers. `sync()` resolves when everything appended so far is on disk.
 *
 * Compaction: `snapshot(state)` starts generation G+1 for every later append and writes the
 * state (which covers every record up to now). In a folder, snapshot-(G+1) is written via a
 * temporary file and rename while appends go on into journal-(G+1); older files are deleted.
 * In one file, a new file holding the snapshot replaces it by rename; appends of G+1 wait for
 * that (replies are held meanwhile) and records of G not yet written are dropped, the snapshot
 * holds them. Recovery loads the newest snapshot and replays only what follows it.
 *
 * When: once the journal has grown past the threshold (64 MB, or twice the last snapshot if
 * that is bigger, so compaction costs stay proportional to what they save), and not more often
 * than the minimum interval: a busy engine writes a snapshot at most once a minute.
 */
export interface Recovered {
  snapshot: unknown;
  records: unknown[];
}

export type JournalLocation = { dir: string } | { file: string };

export interface SnapshotPolicy {
  /** Journal bytes since the last snapshot that make the next one worth writing. */
  compactBytes?: number;
  /** The least time between two snapshots. */
  minIntervalMs?: number;
}

interface Pending {
  gen: number;
  bytes: Buffer;
}

const HEADER = 8;
const SEGMENT = /^journal-(\d+)\.log$/;
const SNAPSHOT = /^snapshot-(\d+)\.json$/;
/** A snapshot's runs file (the folder layout since paging): its runs' pages, which its index names. */
const RUNS = /^runs-(\d+)\.dat$/;
export const runsFileName = (gen: number): string => `runs-${gen}.dat`;
const LOCK = 'engine.lock';

export class Journal {
  private gen: number;
  private readonly handles = new Map<number, fsp.FileHandle>();
  private pending: Pending[] = [];
  private waiters: (() => void)[] = [];
  private flushing: Promise<void> | undefined;
  /** The batch being written now, if any. */
  private round: Promise<void> | undefined;
  private failed: Error | undefined;
  private segmentBytes = 0;
  private snapshotting = false;
  /** One-file layout: the file being replaced by a compacted one; appends of later generations wait for it. */
  private replacing: Promise<void> | undefined;
  /** One-file layout: the generation the file on disk starts at; older records are in its snapshot. */
  private fileGen = 0;
  private lastSnapshotBytes = 0;
  private lastSnapshotAt = Date.now();
  private closed = false;
  private readonly compactBytes: number;
  private readonly minIntervalMs: number;

  private constructor(
    private readonly where: JournalLocation,
    gen: number,
    private readonly log: Logger,
    policy: SnapshotPolicy,
  ) {
    this.gen = gen;
    this.fileGen = gen;
    this.compactBytes = policy.compactBytes ?? 64 * 1024 * 1024;
    this.minIntervalMs = policy.minIntervalMs ?? 60_000;
  }

  /** Opens (creating) the journal and returns what it held. */
  static async open(where: JournalLocation, log: Logger, policy: SnapshotPolicy = {}): Promise<{ journal: Journal; recovered: Recovered }> {
    if ('file' in where) return Journal.openFile(where.file, log, policy);
    const dir = where.dir;
    await fsp.mkdir(dir, { recursive: true });
    await lock(path.join(dir, LOCK), `data folder ${dir}`);
    const { snapGen, snapshot, records, segments, snapshotBytes } = await readFolder(dir, log);
    const gen = segments.length ? segments[segments.length - 1] : snapGen;
    const journal = new Journal(where, gen, log, policy);
    const stat = await fsp.stat(journal.segmentPath(gen)).catch(() => undefined);
    journal.segmentBytes = stat?.size ?? 0;
    journal.lastSnapshotBytes = snapshotBytes;
    // Stale files from before the newest snapshot are no longer needed.
    const names = await fsp.readdir(dir);
    for (const g of generations(names, SEGMENT)) if (g < snapGen) await fsp.rm(path.join(dir, `journal-${g}.log`), { force: true });
    for (const g of generations(names, SNAPSHOT)) if (g < snapGen) await fsp.rm(path.join(dir, `snapshot-${g}.json`), { force: true });
    // Runs files of other generations: older ones, or one whose snapshot a crash cut off.
    for (const g of generations(names, RUNS)) if (g !== snapGen) await fsp.rm(path.join(dir, runsFileName(g)), { force: true });
    await fsp.rm(path.join(dir, 'snapshot.tmp'), { force: true });
    return { journal, recovered: { snapshot, records } };
  }

  private static async openFile(file: string, log: Logger, policy: SnapshotPolicy): Promise<{ journal: Journal; recovered: Recovered }> {
    await fsp.mkdir(path.dirname(file), { recursive: true });
    await lock(`${file}.lock`, `database file ${file}`);
    // A compaction cut off by a crash: the file it was to replace is still whole.
    await fsp.rm(`${file}.tmp`, { force: true });
    const journal = new Journal({ file }, 0, log, policy);
    let recovered: Recovered = { snapshot: undefined, records: [] };
    if (fs.existsSync(file)) {
      const { records, firstBytes } = await readSegment(file, log);
      const first = records[0] as { snap?: unknown } | undefined;
      const snapped = !!first && 'snap' in first;
      recovered = snapped ? { snapshot: first.snap, records: records.slice(1) } : { snapshot: undefined, records };
      journal.lastSnapshotBytes = snapped ? firstBytes : 0;
      journal.segmentBytes = (await fsp.stat(file)).size - journal.lastSnapshotBytes;
    } else if (fs.existsSync(`${file}.engine`)) {
      // Engines before the one-file layout kept `--db-filename F`'s journal in a folder F.engine:
      // read it once; the engine's snapshot after recovery moves it into F.
      const old = await readFolder(`${file}.engine`, log);
      recovered = { snapshot: old.snapshot, records: old.records };
      log.info('engine journal read from the folder of an earlier version; it moves into the database file', { from: `${file}.engine`, to: file });
    }
    return { journal, recovered };
  }

  /** The generation the next snapshot will have. */
  get nextGen(): number {
    return this.gen + 1;
  }

  /** True once the journal has grown enough, for long enough, that a snapshot pays off. */
  get wantsSnapshot(): boolean {
    return !this.snapshotting && this.segmentBytes >= Math.max(this.compactBytes, 2 * this.lastSnapshotBytes) && Date.now() - this.lastSnapshotAt >= this.minIntervalMs;
  }

  append(record: unknown): void {
    if (this.closed) throw new Error('journal is closed');
    const bytes = frame(encodeJson(record));
    this.segmentBytes += bytes.length;
    this.pending.push({ gen: this.gen, bytes });
    this.kick();
  }

  /** Resolves when every record appended so far is durable; rejects if the disk failed. */
  sync(): Promise<void> | undefined {
    if (this.failed) return Promise.reject(this.failed);
    if (!this.pending.length && !this.flushing) return undefined;
    return new Promise<void>((resolve, reject) => {
      this.waiters.push(() => (this.failed ? reject(this.failed) : resolve()));
    });
  }

  /**
   * Writes `state` (everything applied so far) as a snapshot and drops what it covers.
   * `state` must be captured synchronously by the caller, at the moment of this call.
   */
  async snapshot(state: unknown): Promise<void> {
    if (this.snapshotting || this.closed) return;
    this.snapshotting = true;
    const started = Date.now();
    try {
      const oldGen = this.gen;
      this.gen = oldGen + 1;
      this.segmentBytes = 0;
      const bytes = 'file' in this.where ? await this.replaceFile(this.where.file, state) : await this.writeSnapshotFile(this.where.dir, state, oldGen);
      this.lastSnapshotBytes = bytes;
      this.lastSnapshotAt = Date.now();
      this.log.info('engine snapshot written', { generation: this.gen, bytes, ms: Date.now() - started });
    } catch (err) {
      this.log.error('engine snapshot failed; the journal keeps growing', { err });
    } finally {
      this.snapshotting = false;
    }
  }

  async close(): Promise<void> {
    await this.sync()?.catch(() => undefined);
    this.closed = true;
    for (const h of this.handles.values()) await h.close().catch(() => undefined);
    this.handles.clear();
    await fsp.rm('file' in this.where ? `${this.where.file}.lock` : path.join(this.where.dir, LOCK), { force: true });
  }

  /** Folder layout: snapshot-G+1 beside journal-G+1 (where appends already go), then the older files go. */
  private async writeSnapshotFile(dir: string, state: unknown, oldGen: number): Promise<number> {
    const text = encodeJson(state);
    const tmp = path.join(dir, 'snapshot.tmp');
    await writeSynced(tmp, text);
    await fsp.rename(tmp, path.join(dir, `snapshot-${oldGen + 1}.json`));
    await syncDir(dir);
    // Older segments may still be flushing: wait for them before deleting.
    await this.sync();
    for (const name of await fsp.readdir(dir)) {
      const g = Number((SEGMENT.exec(name) ?? SNAPSHOT.exec(name) ?? RUNS.exec(name))?.[1] ?? NaN);
      if (g <= oldGen) {
        await this.closeHandle(g);
        await fsp.rm(path.join(dir, name), { force: true });
      }
    }
    return text.length;
  }

  /** One-file layout: a new file with the snapshot as its first record takes the old one's place. */
  private async replaceFile(file: string, state: unknown): Promise<number> {
    const record = frame(encodeJson({ snap: state }));
    const newGen = this.gen;
    let done!: () => void;
    this.replacing = new Promise<void>((resolve) => (done = resolve));
    try {
      await writeSynced(`${file}.tmp`, record);
      await fsp.rename(`${file}.tmp`, file);
      await syncDir(path.dirname(file));
      // A batch of the old generation may still be going into the old file: let it finish first.
      await this.round;
      for (const g of [...this.handles.keys()]) await this.closeHandle(g);
      this.fileGen = newGen;
    } finally {
      this.replacing = undefined;
      done();
    }
    return record.length;
  }

  private async closeHandle(gen: number): Promise<void> {
    const h = this.handles.get(gen);
    if (!h) return;
    this.handles.delete(gen);
    await h.close();
  }

  private segmentPath(gen: number): string {
    return 'file' in this.where ? this.where.file : path.join(this.where.dir, `journal-${gen}.log`);
  }

  private kick(): void {
    if (this.flushing) return;
    // setImmediate lets every append of this event-loop turn join the same write and fsync.
    this.flushing = new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.flushLoop());
  }

  private async flushLoop(): Promise<void> {
    try {
      // Waiters that joined while a batch was being written are answered by the next round,
      // which also writes whatever was appended meanwhile.
      while (this.pending.length || this.waiters.length) {
        // One file being replaced: what follows the snapshot goes into the new file only.
        if (this.replacing) await this.replacing;
        const batch = this.pending;
        const waiters = this.waiters;
        this.pending = [];
        this.waiters = [];
        this.round = this.write(batch);
        await this.round;
        this.round = undefined;
        for (const w of waiters) w();
      }
    } finally {
      this.flushing = undefined;
      if (this.pending.length) this.kick();
    }
  }

  private async write(batch: Pending[]): Promise<void> {
    try {
      for (const gen of [...new Set(batch.map((p) => p.gen))]) {
        // One file: records older than its snapshot are in that snapshot already.
        if ('file' in this.where && gen < this.fileGen) continue;
        const h = await this.handle(gen);
        await h.write(Buffer.concat(batch.filter((p) => p.gen === gen).map((p) => p.bytes)));
        await h.datasync();
      }
    } catch (err) {
      this.failed = err as Error;
      this.log.error('engine journal write failed; refusing further acknowledgements', { err });
    }
  }

  private async handle(gen: number): Promise<fsp.FileHandle> {
    let h = this.handles.get(gen);
    if (!h) {
      h = await fsp.open(this.segmentPath(gen), 'a');
      this.handles.set(gen, h);
      await syncDir(path.dirname(this.segmentPath(gen)));
    }
    return h;
  }
}

function frame(text: string | Buffer): Buffer {
  const body = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
  const header = Buffer.alloc(HEADER);
  header.writeUInt32LE(body.length, 0);
  header.writeUInt32LE(crc32(body), 4);
  return Buffer.concat([header, body]);
}

function generations(names: string[], re: RegExp): number[] {
  return names
    .map((n) => re.exec(n))
    .filter((m): m is RegExpExecArray => !!m)
    .map((m) => Number(m[1]))
    .sort((a, b) => a - b);
}

/** A folder's newest snapshot and the segments from its generation on. */
async function readFolder(dir: string, log: Logger): Promise<{ snapGen: number; snapshot: unknown; records: unknown[]; segments: number[]; snapshotBytes: number }> {
  const names = await fsp.readdir(dir);
  const snapshots = generations(names, SNAPSHOT);
  const snapGen = snapshots.length ? snapshots[snapshots.length - 1] : 0;
  const text = snapshots.length ? await fsp.readFile(path.join(dir, `snapshot-${snapGen}.json`), 'utf8') : undefined;
  const records: unknown[] = [];
  const segments = generations(names, SEGMENT).filter((g) => g >= snapGen);
  for (const g of segments) records.push(...(await readSegment(path.join(dir, `journal-${g}.log`), log)).records);
  return { snapGen, snapshot: text === undefined ? undefined : decodeJson(text), records, segments, snapshotBytes: text?.length ?? 0 };
}

async function writeSynced(file: string, data: string | Buffer): Promise<void> {
  const fh = await fsp.open(file, 'w');
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * One engine per journal: two writing one would corrupt it. The lock file holds the owner's
 * pid; a lock left by a process that no longer exists (kill -9) is taken over.
 */
async function lock(file: string, what: string): Promise<void> {
  for (let tries = 0; tries < 2; tries++) {
    try {
      await fsp.writeFile(file, String(process.pid), { flag: 'wx' });
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const owner = Number((await fsp.readFile(file, 'utf8').catch(() => '')).trim());
    if (owner && owner !== process.pid && processAlive(owner)) {
      throw new Error(`the engine's ${what} is in use by another engine (process ${owner})`);
    }
    await fsp.rm(file, { force: true });
  }
  throw new Error(`cannot lock the engine's ${what}`);
}

async function syncDir(dir: string): Promise<void> {
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } catch {
    // Some file systems refuse fsync on directories; the data files themselves are synced.
  } finally {
    fs.closeSync(fd);
  }
}

/** A journal file's records, and the size of its first (a one-file journal's snapshot). */
async function readSegment(file: string, log: Logger): Promise<{ records: unknown[]; firstBytes: number }> {
  const data = await fsp.readFile(file);
  const records: unknown[] = [];
  let firstBytes = 0;
  let off = 0;
  while (off + HEADER <= data.length) {
    const len = data.readUInt32LE(off);
    const crc = data.readUInt32LE(off + 4);
    const end = off + HEADER + len;
    if (end > data.length) break;
    const body = data.subarray(off + HEADER, end);
    if (crc32(body) !== crc) break;
    records.push(decodeJson(body.toString('utf8')));
    if (!firstBytes) firstBytes = end;
    off = end;
  }
  if (off < data.length) {
    log.warn('engine journal had a torn tail (crash during a write); cutting it off', { file: path.basename(file), bytes: data.length - off });
    await fsp.truncate(file, off);
  }
  return { records, firstBytes };
}
