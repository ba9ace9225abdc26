import fs from 'node:fs';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import type { PageRef } from '../model/state';

/**
 * Where paged-out runs' bodies go (their state and history, encoded as a journal record
 * encodes a run). A page is written once and read back whole. Pages written as runs go out are
 * scratch, not needed for recovery (the journal and snapshots hold every run): they are not
 * fsync'ed and start empty with every engine. A snapshot's runs file is another matter: it is
 * synced before its snapshot is written, and a restart reads its runs from it.
 */
export interface PageStore {
  write(text: string): PageRef;
  read(ref: PageRef): string;
  /** The page is no longer needed (its run was loaded back or removed). */
  free(ref: PageRef): void;
  /** Bytes of pages still in use, and in all (what a compaction would save). */
  readonly liveBytes: number;
  readonly totalBytes: number;
  /** Rewrites the live pages (all of them, listed) into a fresh file; returns their new refs, in order. */
  compact?(pages: PageRef[]): PageRef[];
  close(): void;
}

/** In memory: each page as its deflated bytes (a run's JSON shrinks to about a third). */
export class MemoryPages implements PageStore {
  liveBytes = 0;

  get totalBytes(): number {
    return this.liveBytes;
  }

  write(text: string): PageRef {
    const bytes = deflateRawSync(Buffer.from(text, 'utf8'));
    this.liveBytes += bytes.length;
    return bytes;
  }

  read(ref: PageRef): string {
    if (!Buffer.isBuffer(ref)) throw new Error('a memory page is its bytes');
    return inflateRawSync(ref).toString('utf8');
  }

  free(ref: PageRef): void {
    if (Buffer.isBuffer(ref)) this.liveBytes -= ref.length;
  }

  close(): void {}
}

/** The scratch page file's number; a snapshot's runs file is numbered by its generation. */
export const SCRATCH = -1;
/** Bytes gathered before a write while a runs file is written. */
const CHUNK = 4 * 1024 * 1024;

/**
 * In files beside the journal. Runs paged out go to a scratch file, appended to. A snapshot
 * (folder layout) writes every run's page into a runs file of its own generation
 * (`writeRunsFile`): from then on the pages of runs still out are read from there, and the
 * scratch file starts over. A restart reads the runs of the newest snapshot from its runs file
 * only when they are needed (`openRunsFile`). Reads and writes are synchronous: a page is a few
 * KB in the file system's cache, and a run must be whole before the code that asked for it
 * goes on. Freed scratch pages leave holes; `compact` rewrites the live ones when holes dominate.
 */
export class FilePages implements PageStore {
  /** Of the scratch file. */
  liveBytes = 0;
  totalBytes = 0;
  private readonly fds = new Map<number, number>();

  constructor(private readonly scratchFile: string) {
    this.fds.set(SCRATCH, fs.openSync(scratchFile, 'w+'));
  }

  /** Makes a snapshot's runs file readable: the pages its index names are in it. */
  openRunsFile(gen: number, file: string): void {
    this.fds.set(gen, fs.openSync(file, 'r'));
  }

  write(text: string): PageRef {
    const bytes = Buffer.from(text, 'utf8');
    const offset = this.totalBytes;
    writeAll(this.fd(SCRATCH), bytes, offset);
    this.totalBytes += bytes.length;
    this.liveBytes += bytes.length;
    return { file: SCRATCH, offset, length: bytes.length };
  }

  read(ref: PageRef): string {
    return this.bytes(ref).toString('utf8');
  }

  free(ref: PageRef): void {
    if (!Buffer.isBuffer(ref) && ref.file === SCRATCH) this.liveBytes -= ref.length;
  }

  /**
   * Writes a snapshot's runs file, one page per run (its text, or a page already written,
   * copied as it is), and syncs it. Returns where each page went. The caller moves the runs
   * that are out to their new pages: nothing refers to older files any more, so they are
   * closed and the scratch file is emptied.
   */
  writeRunsFile(gen: number, file: string, pages: (PageRef | string)[]): PageRef[] {
    const fd = fs.openSync(file, 'w+');
    const refs: PageRef[] = [];
    let chunk: Buffer[] = [];
    let chunkBytes = 0;
    let written = 0;
    const flush = (): void => {
      writeAll(fd, Buffer.concat(chunk, chunkBytes), written);
      written += chunkBytes;
      chunk = [];
      chunkBytes = 0;
    };
    for (const page of pages) {
      const bytes = typeof page === 'string' ? Buffer.from(page, 'utf8') : this.bytes(page);
      refs.push({ file: gen, offset: written + chunkBytes, length: bytes.length });
      chunk.push(bytes);
      chunkBytes += bytes.length;
      if (chunkBytes >= CHUNK) flush();
    }
    flush();
    fs.fsyncSync(fd);
    for (const [file, old] of [...this.fds]) {
      if (file === SCRATCH) continue;
      fs.closeSync(old);
      this.fds.delete(file);
    }
    this.fds.set(gen, fd);
    fs.ftruncateSync(this.fd(SCRATCH), 0);
    this.totalBytes = 0;
    this.liveBytes = 0;
    return refs;
  }

  /** Rewrites the scratch file with only the pages listed (all its live ones); returns their new refs, in order. */
  compact(pages: PageRef[]): PageRef[] {
    const tmp = `${this.scratchFile}.tmp`;
    const fd = fs.openSync(tmp, 'w+');
    let offset = 0;
    const moved: PageRef[] = [];
    for (const ref of pages) {
      if (Buffer.isBuffer(ref) || ref.file !== SCRATCH) {
        moved.push(ref);
        continue;
      }
      const bytes = this.bytes(ref);
      writeAll(fd, bytes, offset);
      moved.push({ file: SCRATCH, offset, length: bytes.length });
      offset += bytes.length;
    }
    fs.closeSync(this.fd(SCRATCH));
    fs.renameSync(tmp, this.scratchFile);
    this.fds.set(SCRATCH, fd);
    this.totalBytes = offset;
    this.liveBytes = offset;
    return moved;
  }

  close(): void {
    for (const fd of this.fds.values()) fs.closeSync(fd);
    this.fds.clear();
    fs.rmSync(this.scratchFile, { force: true });
  }

  private fd(file: number): number {
    const fd = this.fds.get(file);
    if (fd === undefined) throw new Error(`page file ${file} is not open`);
    return fd;
  }

  private bytes(ref: PageRef): Buffer {
    if (Buffer.isBuffer(ref)) throw new Error('a file page is a place in a file');
    const fd = this.fd(ref.file);
    const bytes = Buffer.allocUnsafe(ref.length);
    let done = 0;
    while (done < ref.length) {
      const n = fs.readSync(fd, bytes, done, ref.length - done, ref.offset + done);
      if (n === 0) throw new Error(`page file ${ref.file} ends before ${ref.offset + ref.length}`);
      done += n;
    }
    return bytes;
  }
}

function writeAll(fd: number, bytes: Buffer, offset: number): void {
  let done = 0;
  while (done < bytes.length) done += fs.writeSync(fd, bytes, done, bytes.length - done, offset + done);
}
