import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import type { Logger } from '../../log';
import { decodeJson, encodeJson } from './codec';

/**
 * An append-only, fsync'ed journal in numbered segments plus snapshots.
 *
 * Each record is `[length u32][crc32 u32][JSON]`; a torn or corrupt tail (a crash mid-write)
 * ends the segment and is cut off on open. Appends are serialised at once (state keeps
 * changing) and written in groups: one write and one fdatasync per batch, however many RPCs
 * it covers. `sync()` resolves when everything appended so far is on disk.
 *
 * Compaction: `snapshot(state)` starts segment G+1 for every later append, writes the state
 * (which covers all records up to now) as snapshot-(G+1) via a temporary file and rename, then
 * deletes older segments and snapshots. Recovery loads the newest snapshot and replays only the
 * segments from its generation on, so nothing is applied twice.
 */
export interface Recovered {
  snapshot: unknown;
  records: unknown[];
}

interface Pending {
  gen: number;
  bytes: Buffer;
}

const HEADER = 8;
const SEGMENT = /^journal-(\d+)\.log$/;
const SNAPSHOT = /^snapshot-(\d+)\.json$/;

export class Journal {
  private gen: number;
  private readonly handles = new Map<number, fsp.FileHandle>();
  private pending: Pending[] = [];
  private waiters: (() => void)[] = [];
  private flushing: Promise<void> | undefined;
  private failed: Error | undefined;
  private segmentBytes = 0;
  private snapshotting = false;
  private closed = false;

  private constructor(
    private readonly dir: string,
    gen: number,
    private readonly log: Logger,
    private readonly compactBytes: number,
  ) {
    this.gen = gen;
  }

  /** Opens (creating) the journal in `dir` and returns what it held. */
  static async open(dir: string, log: Logger, compactBytes = 64 * 1024 * 1024): Promise<{ journal: Journal; recovered: Recovered }> {
    await fsp.mkdir(dir, { recursive: true });
    await lock(dir);
    const names = await fsp.readdir(dir);
    const gens = (re: RegExp): number[] =>
      names.map((n) => re.exec(n)).filter((m): m is RegExpExecArray => !!m).map((m) => Number(m[1])).sort((a, b) => a - b);
    const snapshots = gens(SNAPSHOT);
    const snapGen = snapshots.length ? snapshots[snapshots.length - 1] : 0;
    const snapshot = snapshots.length ? decodeJson(await fsp.readFile(path.join(dir, `snapshot-${snapGen}.json`), 'utf8')) : undefined;
    const records: unknown[] = [];
    const segments = gens(SEGMENT).filter((g) => g >= snapGen);
    for (const g of segments) records.push(...(await readSegment(path.join(dir, `journal-${g}.log`), log)));
    const gen = segments.length ? segments[segments.length - 1] : snapGen;
    const journal = new Journal(dir, gen, log, compactBytes);
    const stat = await fsp.stat(journal.segmentPath(gen)).catch(() => undefined);
    journal.segmentBytes = stat?.size ?? 0;
    // Stale files from before the newest snapshot are no longer needed.
    for (const g of gens(SEGMENT)) if (g < snapGen) await fsp.rm(path.join(dir, `journal-${g}.log`), { force: true });
    for (const g of snapshots) if (g < snapGen) await fsp.rm(path.join(dir, `snapshot-${g}.json`), { force: true });
    await fsp.rm(path.join(dir, 'snapshot.tmp'), { force: true });
    return { journal, recovered: { snapshot, records } };
  }

  /** True once the current segment is big enough that a snapshot would pay off. */
  get wantsSnapshot(): boolean {
    return !this.snapshotting && this.segmentBytes >= this.compactBytes;
  }

  append(record: unknown): void {
    if (this.closed) throw new Error('journal is closed');
    const body = Buffer.from(encodeJson(record), 'utf8');
    const header = Buffer.alloc(HEADER);
    header.writeUInt32LE(body.length, 0);
    header.writeUInt32LE(crc32(body), 4);
    const bytes = Buffer.concat([header, body]);
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
   * Writes `state` (everything applied so far) as a snapshot and drops the older segments.
   * `state` must be captured synchronously by the caller, at the moment of this call.
   */
  async snapshot(state: unknown): Promise<void> {
    if (this.snapshotting || this.closed) return;
    this.snapshotting = true;
    try {
      const text = encodeJson(state);
      const oldGen = this.gen;
      this.gen = oldGen + 1;
      this.segmentBytes = 0;
      const tmp = path.join(this.dir, 'snapshot.tmp');
      const fh = await fsp.open(tmp, 'w');
      try {
        await fh.writeFile(text, 'utf8');
        await fh.sync();
      } finally {
        await fh.close();
      }
      await fsp.rename(tmp, path.join(this.dir, `snapshot-${this.gen}.json`));
      await syncDir(this.dir);
      // Older segments may still be flushing: wait for them before deleting.
      await this.sync();
      for (const name of await fsp.readdir(this.dir)) {
        const seg = SEGMENT.exec(name);
        const snap = SNAPSHOT.exec(name);
        const g = Number((seg ?? snap)?.[1] ?? NaN);
        if (g < this.gen) {
          const h = this.handles.get(g);
          if (h) {
            this.handles.delete(g);
            await h.close();
          }
          await fsp.rm(path.join(this.dir, name), { force: true });
        }
      }
      this.log.info('engine snapshot written', { generation: this.gen, bytes: text.length });
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
    await fsp.rm(path.join(this.dir, LOCK), { force: true });
  }

  private segmentPath(gen: number): string {
    return path.join(this.dir, `journal-${gen}.log`);
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
        const batch = this.pending;
        const waiters = this.waiters;
        this.pending = [];
        this.waiters = [];
        try {
          for (const gen of [...new Set(batch.map((p) => p.gen))]) {
            const h = await this.handle(gen);
            await h.write(Buffer.concat(batch.filter((p) => p.gen === gen).map((p) => p.bytes)));
            await h.datasync();
          }
        } catch (err) {
          this.failed = err as Error;
          this.log.error('engine journal write failed; refusing further acknowledgements', { err });
        }
        for (const w of waiters) w();
      }
    } finally {
      this.flushing = undefined;
      if (this.pending.length) this.kick();
    }
  }

  private async handle(gen: number): Promise<fsp.FileHandle> {
    let h = this.handles.get(gen);
    if (!h) {
      h = await fsp.open(this.segmentPath(gen), 'a');
      this.handles.set(gen, h);
      await syncDir(this.dir);
    }
    return h;
  }
}

const LOCK = 'engine.lock';

/**
 * One engine per data folder: two writing one journal would corrupt it. The lock file holds
 * the owner's pid; a lock left by a process that no longer exists (kill -9) is taken over.
 */
async function lock(dir: string): Promise<void> {
  const file = path.join(dir, LOCK);
  for (let tries = 0; tries < 2; tries++) {
    try {
      await fsp.writeFile(file, String(process.pid), { flag: 'wx' });
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const owner = Number((await fsp.readFile(file, 'utf8').catch(() => '')).trim());
    if (owner && owner !== process.pid && alive(owner)) {
      throw new Error(`the engine's data folder ${dir} is in use by another engine (process ${owner})`);
    }
    await fsp.rm(file, { force: true });
  }
  throw new Error(`cannot lock the engine's data folder ${dir}`);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
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

async function readSegment(file: string, log: Logger): Promise<unknown[]> {
  const data = await fsp.readFile(file);
  const records: unknown[] = [];
  let off = 0;
  while (off + HEADER <= data.length) {
    const len = data.readUInt32LE(off);
    const crc = data.readUInt32LE(off + 4);
    const end = off + HEADER + len;
    if (end > data.length) break;
    const body = data.subarray(off + HEADER, end);
    if (crc32(body) !== crc) break;
    records.push(decodeJson(body.toString('utf8')));
    off = end;
  }
  if (off < data.length) {
    log.warn('engine journal had a torn tail (crash during a write); cutting it off', { file: path.basename(file), bytes: data.length - off });
    await fsp.truncate(file, off);
  }
  return records;
}
