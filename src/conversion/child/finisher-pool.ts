import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { finishPage, type FaxPageOutput } from '../raster/fax-page';

export interface FinishRequest {
  id: number;
  grey: ArrayBuffer;
  rows: number;
}

export type FinishResponse = { id: number; output: FaxPageOutput } | { id: number; error: string };

const FROM_SOURCE = __filename.endsWith('.ts');
const SCRIPT = path.join(__dirname, FROM_SOURCE ? 'finisher.ts' : 'finisher.js');
const TS_HOOK = path.join(__dirname, 'register-ts.js');

function startWorker(): Worker {
  if (!FROM_SOURCE) return new Worker(SCRIPT);
  // Worker threads do not inherit -r hooks: load the TypeScript hook first, then the script.
  return new Worker(`require(${JSON.stringify(TS_HOOK)}); require(${JSON.stringify(SCRIPT)});`, { eval: true });
}

/**
 * Finishes pages (dithering, G4, PNG) on worker threads so rendering and finishing overlap
 * and use every core. With a single core it finishes pages on the calling thread instead.
 */
export class FinisherPool {
  private readonly workers: Worker[] = [];
  private readonly waiting = new Map<number, { resolve: (o: FaxPageOutput) => void; reject: (e: Error) => void }>();
  private nextId = 0;
  private turn = 0;

  constructor(size = Math.min(2, os.availableParallelism() > 1 ? os.availableParallelism() : 0)) {
    for (let i = 0; i < size; i++) {
      const worker = startWorker();
      worker.on('message', (res: FinishResponse) => {
        const waiter = this.waiting.get(res.id);
        this.waiting.delete(res.id);
        if ('output' in res) waiter?.resolve(res.output);
        else waiter?.reject(new Error(`finishing a page failed: ${res.error}`));
      });
      worker.on('error', (err) => this.failAll(err));
      this.workers.push(worker);
    }
  }

  /** How many pages to keep in flight: enough to keep every thread busy, few enough to bound memory. */
  get depth(): number {
    return Math.max(1, this.workers.length * 2);
  }

  /** Takes ownership of `grey` (its memory moves to the worker). */
  finish(grey: Uint8Array, rows: number): Promise<FaxPageOutput> {
    if (this.workers.length === 0) return Promise.resolve(finishPage(grey, rows));
    const id = this.nextId++;
    const worker = this.workers[this.turn++ % this.workers.length];
    const buffer = grey.buffer.byteLength === grey.byteLength ? grey.buffer : grey.slice().buffer;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      const req: FinishRequest = { id, grey: buffer as ArrayBuffer, rows };
      worker.postMessage(req, [buffer as ArrayBuffer]);
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  private failAll(err: Error): void {
    for (const waiter of this.waiting.values()) waiter.reject(err);
    this.waiting.clear();
  }
}
