import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { ConversionError } from '../types';
import type { G4Helper, G4Part } from '../raster/kernels';
import type { ThreadG4, ThreadJob, ThreadMessage, ThreadPreload } from './thread-messages';
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
  remaining: number;
  libraryWarnings: number;
  onPage: (result: PageResult) => void;
  resolve: (libraryWarnings: number) => void;
  reject: (err: Error) => void;
}

/**
 * The extra rendering threads of a conversion process, one fewer than the cores (the main
 * thread renders too), each with MuPDF loaded. Started with the process, so they are ready
 * by the time a job arrives; each document uses them once.
 */
export class ThreadPool {
  private readonly workers: Worker[] = [];
  readonly ready: Promise<void>;
  private waiter: Waiter | null = null;
  /** Lower halves of G4 images being coded by the first thread, by request id. */
  private readonly coding = new Map<number, { resolve: (part: G4Part) => void; reject: (err: Error) => void }>();
  private nextId = 0;

  constructor(size = Math.min(MAX_THREADS, os.availableParallelism() - 1)) {
    const started: Array<Promise<void>> = [];
    for (let i = 0; i < size; i++) {
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
            this.fail(err);
          });
        }),
      );
      this.workers.push(worker);
    }
    this.ready = Promise.all(started).then(() => undefined);
  }

  /**
   * Lets every thread take pages of the job until none is left; `onPage` gets each finished
   * page. Resolves with the MuPDF warning count once all threads are done.
   */
  run(job: PageJob, total: number, counter: SharedArrayBuffer, onPage: (result: PageResult) => void): Promise<number> {
    if (this.workers.length === 0) return Promise.resolve(0);
    return new Promise((resolve, reject) => {
      this.waiter = { remaining: this.workers.length, libraryWarnings: 0, onPage, resolve, reject };
      const message: ThreadJob = { job, total, counter };
      for (const worker of this.workers) worker.postMessage(message);
    });
  }

  /**
   * A helper that codes the lower half of a page's G4 image on the first thread, for the main
   * thread finishing a one-page document alone (the other threads are idle then); undefined
   * without threads.
   */
  g4Helper(): G4Helper | undefined {
    const worker = this.workers.at(0);
    if (!worker) return undefined;
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

  /**
   * Has every thread load sharp (about 70 ms each): a warmed-up spare does it before a document
   * arrives, not at the first photo of a PDF page a thread draws.
   */
  preloadSharp(): void {
    const message: ThreadPreload = { preload: 'sharp' };
    for (const worker of this.workers) worker.postMessage(message);
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
        if (--waiter.remaining === 0) {
          this.waiter = null;
          waiter.resolve(waiter.libraryWarnings);
        }
        break;
      case 'error':
        this.fail(new ConversionError(m.reason, m.message, m.params));
        break;
      case 'failure':
        this.fail(new Error(`rendering thread failed: ${m.message}`));
        break;
    }
  }

  private fail(err: Error): void {
    const waiter = this.waiter;
    this.waiter = null;
    waiter?.reject(err);
    for (const pending of this.coding.values()) pending.reject(err);
    this.coding.clear();
  }
}
