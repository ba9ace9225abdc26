import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { ConversionError } from '../types';
import type { G4Helper, G4Part } from '../raster/kernels';
import { compileMupdf } from './mupdf';
import { takeNoMore, type ThreadG4, type ThreadJob, type ThreadMessage, type ThreadDocumentDone, type ThreadSetup } from './thread-messages';
import type { PageResult } from './page-renderer';
import type { PageJob } from './source-spec';

const FROM_SOURCE = __filename.endsWith('.ts');
const SCRIPT = path.join(__dirname, FROM_SOURCE ? 'rendering-thread.ts' : 'rendering-thread.js');
const TS_HOOK = path.join(__dirname, 'register-ts.js');
/** Capped: each thread holds a MuPDF instance of its own (tens of MB) within the process's memory budget. */
const MAX_THREADS = 3;

function startWorker(): Worker {
  if (!FROM_SOURCE) return new Worker(SCRIPT);
  // Worker threads do not inherit -r hooks: load the TypeScript hook first, then the script.
  return new Worker(`require(${JSON.stringify(TS_HOOK)}); require(${JSON.stringify(SCRIPT)});`, { eval: true });
}

interface Waiter {
  /** Threads yet to say they are done with the job (or failed). */
  remaining: number;
  libraryWarnings: number;
  /** The first failure of a thread; the job fails with it once every thread has stopped. */
  failure: Error | null;
  stop: () => void;
  onPage: (result: PageResult) => void;
  resolve: (libraryWarnings: number) => void;
  reject: (err: Error) => void;
}

/**
 * Pages each thread should get before one more joins a document: a thread's share of a
 * document costs it a MuPDF instance and the document's fonts again (about two pages' worth of
 * CPU), which is a tenth or less of ten pages, while the document's time shrinks.
 */
const PAGES_PER_THREAD = 10;

/**
 * The extra rendering threads of a conversion process, one fewer than the cores (the main
 * thread renders too), each given the process's compiled MuPDF. Started when the first
 * document long enough to share arrives (a process that only sees short documents never pays
 * for them), then kept; each document gets new MuPDF instances on them.
 */
export class ThreadPool {
  private readonly workers: Worker[] = [];
  private starting: Promise<void> | null = null;
  private startedNow = false;
  private waiter: Waiter | null = null;
  /** Lower halves of G4 images being coded by the first thread, by request id. */
  private readonly coding = new Map<number, { resolve: (part: G4Part) => void; reject: (err: Error) => void }>();
  private nextId = 0;
  /** Why a thread died, once one has: the pool cannot take another job. */
  private deadBecause: Error | null = null;

  constructor(private readonly size = Math.min(MAX_THREADS, os.availableParallelism() - 1)) {}

  /** Starts the threads, once; resolves when every one has MuPDF. */
  start(): Promise<void> {
    this.starting ??= this.startThreads().then(() => {
      this.startedNow = true;
    });
    return this.starting;
  }

  private startThreads(): Promise<void> {
    const started: Array<Promise<void>> = [];
    for (let i = 0; i < this.size; i++) {
      const worker = startWorker();
      started.push(
        new Promise((resolve, reject) => {
          worker.on('message', (m: ThreadMessage) => {
            if (m.kind === 'ready') return resolve();
            // Settles nothing once the thread was ready.
            if (m.kind === 'failure') reject(new Error(`rendering thread: ${m.message}`));
            this.receive(m);
          });
          worker.on('error', (err) => {
            reject(err);
            this.broken(err);
          });
        }),
      );
      this.workers.push(worker);
    }
    // The threads get the process's compiled MuPDF: one compilation (and one set of optimised
    // code) for the whole process.
    void compileMupdf().then(
      (mupdf) => {
        const setup: ThreadSetup = { mupdf };
        for (const worker of this.workers) worker.postMessage(setup);
      },
      (err: unknown) => this.broken(err instanceof Error ? err : new Error(String(err))),
    );
    return Promise.all(started).then(() => undefined);
  }

  /** Tells every thread that a document is done: it forgets its instances (the next document gets new ones) and frees their memory. */
  documentDone(): void {
    const message: ThreadDocumentDone = { documentDone: true };
    for (const worker of this.workers) worker.postMessage(message);
  }

  /**
   * Lets threads take pages of the job until none is left, one thread for each PAGES_PER_THREAD
   * pages beyond the first (the calling thread takes pages meanwhile, also while they start);
   * `onPage` gets each finished page. Resolves with the MuPDF warning count once they are all
   * done; when one fails, the others take no more pages, and the promise rejects once they have
   * all stopped (so the process is idle when the document's answer goes out).
   */
  async run(job: PageJob, total: number, counter: SharedArrayBuffer, onPage: (result: PageResult) => void): Promise<number> {
    const helpers = Math.min(this.size, Math.floor(total / PAGES_PER_THREAD) - 1);
    if (helpers <= 0) return 0;
    await this.start();
    if (this.deadBecause) throw this.deadBecause;
    return new Promise((resolve, reject) => {
      const stop = (): void => takeNoMore(new Int32Array(counter), total);
      this.waiter = { remaining: helpers, libraryWarnings: 0, failure: null, stop, onPage, resolve, reject };
      const message: ThreadJob = { job, total, counter };
      for (const worker of this.workers.slice(0, helpers)) worker.postMessage(message);
    });
  }

  /**
   * A helper that codes the lower half of a page's G4 image on the first thread, for the main
   * thread finishing a one-page document alone (the other threads are idle then); undefined
   * unless the threads were started (for a longer document) and are well.
   */
  g4Helper(): G4Helper | undefined {
    const worker = this.workers.at(0);
    if (!worker || !this.startedNow || this.deadBecause) return undefined;
    return (rows, reference, width, height) =>
      new Promise((resolve, reject) => {
        const id = this.nextId++;
        this.coding.set(id, { resolve, reject });
        const message: ThreadG4 = { g4: { id, rows, reference, width, height } };
        // The rows are copies made for this message: moved, not copied again.
        worker.postMessage(
          message,
          [rows.buffer, reference.buffer].filter((b): b is ArrayBuffer => b instanceof ArrayBuffer),
        );
      });
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  private receive(m: ThreadMessage): void {
    if (m.kind === 'g4' || m.kind === 'g4-failed') {
      const pending = this.coding.get(m.id);
      this.coding.delete(m.id);
      if (m.kind === 'g4') pending?.resolve({ data: m.data, bits: m.bits });
      else pending?.reject(new Error(`coding thread: ${m.message}`));
      return;
    }
    const waiter = this.waiter;
    if (!waiter) return;
    switch (m.kind) {
      case 'page':
        waiter.onPage(m.result);
        break;
      case 'done':
        waiter.libraryWarnings += m.libraryWarnings;
        this.stopped(waiter);
        break;
      case 'error':
        this.stopped(waiter, new ConversionError(m.reason, m.message, m.params));
        break;
      case 'failure':
        this.stopped(waiter, new Error(`rendering thread failed: ${m.message}`));
        break;
    }
  }

  /** One thread is through with the job (each says so once, done or failed). */
  private stopped(waiter: Waiter, failure?: Error): void {
    if (failure && !waiter.failure) {
      waiter.failure = failure;
      waiter.stop();
    }
    if (--waiter.remaining > 0) return;
    this.waiter = null;
    if (waiter.failure) waiter.reject(waiter.failure);
    else waiter.resolve(waiter.libraryWarnings);
  }

  /** A thread died: nothing it was doing will finish. */
  private broken(err: Error): void {
    this.deadBecause ??= err;
    const waiter = this.waiter;
    this.waiter = null;
    waiter?.stop();
    waiter?.reject(err);
    for (const pending of this.coding.values()) pending.reject(err);
    this.coding.clear();
  }
}
