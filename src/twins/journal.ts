import fs from 'node:fs/promises';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import type { Logger } from '../log';

/**
 * A twin's state as an append-only journal of key–value records, one file per twin.
 *
 * Each change is one line, `<crc32 of the JSON, 8 hex digits> <JSON>\n`, the JSON being
 * `[key, value]` or `[key]` for a removal; JSON never holds a raw newline, so lines are
 * records. Loading replays the lines in order, the last record of a key winning.
 *
 * Durability: records are written in batches, one write and one fdatasync per batch;
 * `flush()` resolves once everything recorded so far is on disk, and the twins await it
 * before answering a request or sending a webhook, so nothing reported is ever lost.
 *
 * A crash can leave a torn last record: loading stops at the first line that is incomplete
 * or fails its checksum, cuts the file there and starts (a tail longer than one record is
 * kept beside the journal as `<file>.damaged-<time>` first, for inspection).
 *
 * Compaction: once the journal is past `minCompactBytes` and more than `compactRatio` times
 * the size of the live records, the state is encoded and written to `<file>.tmp` a slice at a
 * time while appends go on into the journal, then (between two batches) the batches appended
 * meanwhile are added, the file synced and renamed over the journal, which goes on
 * from there; closing compacts what was appended meanwhile if the rule still holds. A crash at
 * any point leaves one whole journal. A failed append instead leads to a compaction that holds
 * appends until done (the file may end in part of a batch).
 */
export interface JournalOptions {
  file: string;
  log: Logger;
  /** Every live entry: what a compaction writes, iterating while the state goes on changing. */
  entries: () => Iterable<readonly [string, unknown]>;
  /** No compaction below this size (default 1 MiB). */
  minCompactBytes?: number;
  /** Compact when the journal exceeds this multiple of the live records' size (default 2). */
  compactRatio?: number;
  /** A state file of the format before the journal: read once into entries, then removed. */
  legacy?: { file: string; read: (text: string) => Iterable<readonly [string, unknown]> };
}

export interface JournalStats {
  /** The journal file's size. */
  bytes: number;
  /** The size the latest record of every live key takes. */
  liveBytes: number;
  /** Bytes handed to write() since open, compactions included. */
  bytesWritten: number;
  compactions: number;
}

interface Compaction {
  tmp: fs.FileHandle | null;
  snapshotBytes: number;
  /** Settles when the snapshot is on disk; true when it could be written. */
  written: Promise<boolean>;
  done: boolean;
  ok: boolean;
  /** Batches appended to the current file since the snapshot was taken. */
  carry: Buffer[];
  carryBytes: number;
  started: number;
}

interface Waiter {
  target: number;
  resolve: () => void;
  reject: (err: Error) => void;
}

const NEWLINE = 0x0a;

/** A value already encoded as JSON: recorded as it is, without parsing it first. */
export class JsonText {
  constructor(readonly text: string) {}
}

/** One record as the line it is written as. */
export function encodeRecord(key: string, value: unknown): Buffer {
  const text = value instanceof JsonText ? `[${JSON.stringify(key)},${value.text}]` : JSON.stringify(value === undefined ? [key] : [key, value]);
  const json = Buffer.from(text);
  return Buffer.concat([Buffer.from(`${crc32(json).toString(16).padStart(8, '0')} `), json, Buffer.from('\n')]);
}

/** The record of one line (without its newline), or null when it is torn or corrupt. */
function decodeRecord(line: Buffer): { key: string; value: unknown; removed: boolean } | null {
  if (line.length < 10 || line[8] !== 0x20) return null;
  const json = line.subarray(9);
  if (crc32(json).toString(16).padStart(8, '0') !== line.toString('latin1', 0, 8)) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(json.toString('utf8'));
  } catch {
    return null;
  }
  if (!Array.isArray(parsed) || typeof parsed[0] !== 'string' || parsed.length < 1 || parsed.length > 2) return null;
  return { key: parsed[0], value: parsed[1], removed: parsed.length === 1 };
}

async function syncDir(dir: string): Promise<void> {
  const handle = await fs.open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Records per write of a snapshot: between two, the twin goes on answering. */
const SLICE_RECORDS = 1024;

/** Writes the lines in slices, so a large state never needs one buffer of its whole size. */
async function writeLines(handle: fs.FileHandle, lines: Buffer[]): Promise<void> {
  for (let i = 0; i < lines.length; i += SLICE_RECORDS) await handle.writeFile(Buffer.concat(lines.slice(i, i + SLICE_RECORDS)));
}

async function exists(file: string): Promise<boolean> {
  return fs.stat(file).then(
    () => true,
    (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return false;
      throw err;
    },
  );
}

export class Journal {
  private handle: fs.FileHandle | null = null;
  private size = 0;
  private liveBytes = 0;
  private readonly recordBytes = new Map<string, number>();
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** Records made so far, and how many of them are settled (written, or failed and reported). */
  private recorded = 0;
  private settled = 0;
  private waiters: Waiter[] = [];
  private running: Promise<void> | null = null;
  private mustCompact = false;
  /** A compaction writing its snapshot while appends go on into the current file. */
  private compaction: Compaction | null = null;
  private closed = false;
  private bytesWritten = 0;
  private compactions = 0;
  private readonly minCompactBytes: number;
  private readonly compactRatio: number;

  private constructor(private readonly opts: JournalOptions) {
    this.minCompactBytes = opts.minCompactBytes ?? 1024 * 1024;
    this.compactRatio = opts.compactRatio ?? 2;
  }

  /** Opens (creating, or migrating the legacy file) the journal and returns the live entries. */
  static async open(opts: JournalOptions): Promise<{ journal: Journal; entries: Map<string, unknown> }> {
    const journal = new Journal(opts);
    const { file, log } = opts;
    await fs.mkdir(path.dirname(file), { recursive: true });
    // A compaction cut off by a crash: the journal it was to replace is still whole.
    await fs.rm(`${file}.tmp`, { force: true });
    const entries = new Map<string, unknown>();
    if (await exists(file)) {
      await journal.replay(entries);
      if (opts.legacy && (await exists(opts.legacy.file))) {
        // Left behind by a migration cut off after the journal was in place.
        await fs.rm(opts.legacy.file, { force: true });
      }
    } else if (opts.legacy && (await exists(opts.legacy.file))) {
      for (const [key, value] of opts.legacy.read(await fs.readFile(opts.legacy.file, 'utf8'))) entries.set(key, value);
      await journal.writeCompacted(entries);
      await fs.rm(opts.legacy.file, { force: true });
      await syncDir(path.dirname(file));
      log.info('twin state moved from its state file into a journal', { from: opts.legacy.file, to: file, entries: entries.size });
    } else {
      await journal.writeCompacted(entries);
    }
    journal.handle = await fs.open(file, 'a', 0o600);
    return { journal, entries };
  }

  /** Records the value of a key; `undefined` records its removal. */
  put(key: string, value: unknown): void {
    if (this.closed) throw new Error(`journal ${this.opts.file} is closed`);
    const line = encodeRecord(key, value);
    this.account(key, value === undefined ? undefined : line.length);
    this.pending.push(line);
    this.pendingBytes += line.length;
    this.recorded += 1;
    this.kick();
  }

  /** Resolves once every record made so far is on disk; rejects when writing failed. */
  flush(): Promise<void> {
    if (this.settled >= this.recorded && !this.mustCompact) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.waiters.push({ target: this.recorded, resolve, reject });
      this.kick();
    });
  }

  /** Rewrites the journal as the live state now, as the size rule does by itself. */
  compact(): Promise<void> {
    this.mustCompact = true;
    return this.flush();
  }

  stats(): JournalStats {
    return { bytes: this.size, liveBytes: this.liveBytes, bytesWritten: this.bytesWritten, compactions: this.compactions };
  }

  /** Writes what is pending and closes the file; later records are refused. */
  async close(): Promise<void> {
    try {
      await this.flush();
      if (this.compaction) {
        // Finished rather than dropped, so the next start replays the smaller file.
        await this.compaction.written;
        this.kick();
        await this.running;
      }
      // What was appended while a compaction ran is not compacted yet: a journal at rest keeps the size rule.
      if (this.size >= this.minCompactBytes && this.size > this.compactRatio * this.liveBytes) await this.compact();
    } finally {
      this.closed = true;
      await this.running;
      await this.discardCompaction();
      await this.handle?.close();
      this.handle = null;
    }
  }

  private account(key: string, bytes: number | undefined): void {
    this.liveBytes -= this.recordBytes.get(key) ?? 0;
    if (bytes === undefined) {
      this.recordBytes.delete(key);
    } else {
      this.recordBytes.set(key, bytes);
      this.liveBytes += bytes;
    }
  }

  private kick(): void {
    // Started on the next microtask, so the records of one synchronous change share a batch.
    this.running ??= Promise.resolve().then(() => this.run());
  }

  private async run(): Promise<void> {
    try {
      while (this.pending.length > 0 || this.compaction?.done || (this.mustCompact && this.waiters.length > 0)) {
        if (this.compaction?.done) await this.finishCompaction();
        if (this.pending.length === 0 && !this.mustCompact) continue;
        const batch = this.pending;
        const batchBytes = this.pendingBytes;
        const upTo = this.recorded;
        this.pending = [];
        this.pendingBytes = 0;
        try {
          if (this.mustCompact) {
            // The state now covers every record up to `upTo` (they were made from it), so the batch is dropped.
            await this.discardCompaction();
            await this.rewrite();
          } else {
            const total = this.size + batchBytes;
            if (!this.compaction && total >= this.minCompactBytes && total > this.compactRatio * this.liveBytes) this.startCompaction();
            await this.append(batch, batchBytes);
            if (this.compaction) {
              this.compaction.carry.push(...batch);
              this.compaction.carryBytes += batchBytes;
            }
          }
          this.settle(upTo, null);
        } catch (err) {
          // The file may end in part of the batch: the next flush rewrites it whole from the state.
          this.mustCompact = true;
          const error = err instanceof Error ? err : new Error(String(err));
          this.opts.log.error('twin journal write failed', { file: this.opts.file, err: error });
          this.pending = [];
          this.pendingBytes = 0;
          this.settle(this.recorded, error);
          return;
        }
      }
    } finally {
      this.running = null;
    }
  }

  private settle(upTo: number, error: Error | null): void {
    this.settled = Math.max(this.settled, upTo);
    const still: Waiter[] = [];
    for (const w of this.waiters) {
      if (error) w.reject(error);
      else if (w.target <= this.settled) w.resolve();
      else still.push(w);
    }
    this.waiters = still;
  }

  private async append(batch: Buffer[], bytes: number): Promise<void> {
    if (!this.handle) throw new Error(`journal ${this.opts.file} is not open`);
    const data = batch.length === 1 ? batch[0] : Buffer.concat(batch, bytes);
    let offset = 0;
    while (offset < data.length) {
      const { bytesWritten } = await this.handle.write(data, offset, data.length - offset);
      offset += bytesWritten;
    }
    await this.handle.datasync();
    this.size += data.length;
    this.bytesWritten += data.length;
  }

  private async rewrite(): Promise<void> {
    const started = Date.now();
    const before = this.size;
    await this.handle?.close();
    this.handle = null;
    await this.writeCompacted(this.opts.entries());
    this.handle = await fs.open(this.opts.file, 'a', 0o600);
    this.mustCompact = false;
    this.compactions += 1;
    this.opts.log.info('twin journal compacted', { file: this.opts.file, before, after: this.size, ms: Date.now() - started });
  }

  /**
   * Starts a compaction that does not hold up appends: the state is encoded and written to the
   * temporary file a slice at a time, while appends go on into the journal and are kept; then
   * `finishCompaction()`, between two batches, adds those and puts the file in place. Every
   * record made after the encoding began is among the kept ones, so values the slices missed
   * or caught half-way are set right by them.
   */
  private startCompaction(): void {
    const compaction: Compaction = { tmp: null, snapshotBytes: 0, written: Promise.resolve(false), done: false, ok: false, carry: [], carryBytes: 0, started: Date.now() };
    compaction.written = this.writeSnapshot(compaction)
      .then(
        () => true,
        (err: unknown) => {
          this.opts.log.error('twin journal compaction failed; the journal goes on as it was', { file: this.opts.file, err });
          return false;
        },
      )
      .then((ok) => {
        compaction.ok = ok;
        compaction.done = true;
        if (!this.closed) this.kick();
        return ok;
      });
    this.compaction = compaction;
  }

  private async writeSnapshot(c: Compaction): Promise<void> {
    const tmp = await fs.open(`${this.opts.file}.tmp`, 'w', 0o600);
    c.tmp = tmp;
    let slice: Buffer[] = [];
    let sliceBytes = 0;
    const write = async (): Promise<void> => {
      await tmp.writeFile(Buffer.concat(slice, sliceBytes));
      c.snapshotBytes += sliceBytes;
      slice = [];
      sliceBytes = 0;
    };
    for (const [key, value] of this.opts.entries()) {
      const line = encodeRecord(key, value);
      slice.push(line);
      sliceBytes += line.length;
      if (slice.length === SLICE_RECORDS) await write();
    }
    if (slice.length > 0) await write();
    await tmp.sync();
  }

  /** Puts a written snapshot in place; runs between batches, so nothing is appended meanwhile. */
  private async finishCompaction(): Promise<void> {
    const c = this.compaction;
    if (!c) return;
    if (!c.ok) {
      await this.discardCompaction();
      return;
    }
    this.compaction = null;
    const before = this.size;
    const tmp = c.tmp;
    if (!tmp) return;
    try {
      await writeLines(tmp, c.carry);
      await tmp.sync();
      await tmp.close();
      await fs.rename(`${this.opts.file}.tmp`, this.opts.file);
    } catch (err) {
      await tmp.close().catch(() => undefined);
      await fs.rm(`${this.opts.file}.tmp`, { force: true });
      this.opts.log.error('twin journal compaction failed; the journal goes on as it was', { file: this.opts.file, err });
      return;
    }
    try {
      await this.handle?.close();
      this.handle = null;
      await syncDir(path.dirname(this.opts.file));
      this.handle = await fs.open(this.opts.file, 'a', 0o600);
    } catch (err) {
      // The new journal is whole on disk; the next flush rewrites and reopens it.
      this.mustCompact = true;
      this.opts.log.error('twin journal could not reopen after compaction', { file: this.opts.file, err });
      return;
    }
    this.size = c.snapshotBytes + c.carryBytes;
    this.bytesWritten += this.size;
    this.compactions += 1;
    this.opts.log.info('twin journal compacted', { file: this.opts.file, before, after: this.size, ms: Date.now() - c.started });
  }

  /** Drops a compaction in progress; the current file holds everything. */
  private async discardCompaction(): Promise<void> {
    const c = this.compaction;
    if (!c) return;
    this.compaction = null;
    await c.written;
    await c.tmp?.close().catch(() => undefined);
    await fs.rm(`${this.opts.file}.tmp`, { force: true });
  }

  /** Encodes the entries as records, and makes them the accounting of live bytes. */
  private snapshot(entries: Iterable<readonly [string, unknown]>): { lines: Buffer[]; bytes: number } {
    const lines: Buffer[] = [];
    let bytes = 0;
    this.recordBytes.clear();
    this.liveBytes = 0;
    for (const [key, value] of entries) {
      const line = encodeRecord(key, value);
      lines.push(line);
      bytes += line.length;
      this.account(key, line.length);
    }
    return { lines, bytes };
  }

  /** Replaces the journal by one holding just these entries: temporary file, sync, rename. */
  private async writeCompacted(entries: Iterable<readonly [string, unknown]>): Promise<void> {
    const { lines, bytes } = this.snapshot(entries);
    const tmp = `${this.opts.file}.tmp`;
    const handle = await fs.open(tmp, 'w', 0o600);
    try {
      await writeLines(handle, lines);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(tmp, this.opts.file);
    await syncDir(path.dirname(this.opts.file));
    this.size = bytes;
    this.bytesWritten += bytes;
  }

  /** Loads the journal into `entries`; a torn or corrupt tail is cut off. */
  private async replay(entries: Map<string, unknown>): Promise<void> {
    const { file, log } = this.opts;
    const data = await fs.readFile(file);
    let offset = 0;
    let records = 0;
    while (offset < data.length) {
      const end = data.indexOf(NEWLINE, offset);
      const record = end < 0 ? null : decodeRecord(data.subarray(offset, end));
      if (!record || end < 0) break;
      if (record.removed) entries.delete(record.key);
      else entries.set(record.key, record.value);
      this.account(record.key, record.removed ? undefined : end + 1 - offset);
      records += 1;
      offset = end + 1;
    }
    if (offset < data.length) {
      const tail = data.subarray(offset);
      const firstEnd = tail.indexOf(NEWLINE);
      let keptAs: string | null = null;
      if (firstEnd >= 0 && firstEnd < tail.length - 1) {
        // More than one record is lost: keep them for whoever investigates.
        const copy = `${file}.damaged-${new Date().toISOString().replace(/[:.]/g, '-')}`;
        // Best effort: a full disk must not stop the twin from starting.
        keptAs = await fs.writeFile(copy, tail, { mode: 0o600 }).then(
          () => copy,
          (err: unknown) => {
            log.error('twin journal: the damaged tail could not be kept', { file, err });
            return null;
          },
        );
      }
      const handle = await fs.open(file, 'r+');
      try {
        await handle.truncate(offset);
        await handle.sync();
      } finally {
        await handle.close();
      }
      log.warn('twin journal ended in a torn or corrupt record; cut off there', { file, records, keptBytes: offset, droppedBytes: tail.length, keptAs });
    }
    this.size = offset;
  }
}
