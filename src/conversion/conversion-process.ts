import { fork, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Socket } from 'node:net';
import type { ChildMessage, ChildPage, ChildResult, ConversionJob } from './child/process-messages';
import { converterEnvironment } from './converter-environment';
import { ConversionError, type ConversionLimits } from './types';

/**
 * The child runs from dist/ as JavaScript; under jest (or any TypeScript runner) this file
 * is .ts and the child is started from the TypeScript source with a small require hook
 * that compiles it on the fly (child/register-ts.js).
 */
const FROM_SOURCE = __filename.endsWith('.ts');
const CHILD_ENTRY = path.join(__dirname, 'child', FROM_SOURCE ? 'main.ts' : 'main.js');
const TS_HOOK = path.join(__dirname, 'child', 'register-ts.js');
const RSS_POLL_MS = 50;

/** Resident memory of a process now and at its peak, in bytes (Linux /proc; 0 where unavailable). */
function memoryOf(pid: number): { rss: number; peak: number } {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string): number => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0) * 1024;
    return { rss: kb('VmRSS'), peak: kb('VmHWM') };
  } catch {
    return { rss: 0, peak: 0 };
  }
}

/** Starts a process's peak resident memory (VmHWM) again from its current size (Linux; elsewhere nothing). */
function resetPeak(pid: number): void {
  try {
    fs.writeFileSync(`/proc/${pid}/clear_refs`, '5');
  } catch {
    // Not Linux, or not allowed: the peak then covers the process's earlier documents too.
  }
}

export interface ChildOutcome {
  result: ChildResult;
  /** Every page of the fax, in order. */
  pages: ChildPage[];
  /** Highest resident memory of the process while it converted this document. */
  peakRssBytes: number;
}

/**
 * A conversion child process. It converts documents one at a time, each with new MuPDF and
 * kernel instances (WebAssembly memory no other document was written to) made from the
 * compilation the process did once; it can be started ahead of need, so a document does not
 * wait for that. Killed on a document's timeout or memory excess (with LibreOffice, in its
 * process group), and after any failure that is not the document's fault.
 */
export class ConversionProcess {
  private readonly child: ChildProcess;
  private readonly readyPromise: Promise<void>;
  private readyNow = false;
  private exited = false;
  private killed = false;
  private busy = false;
  private answeredDocuments = 0;
  private listener: ((m: ChildMessage) => void) | null = null;
  private exitListener: (() => void) | null = null;
  private stderr = '';

  private constructor(readonly memoryMb: number) {
    this.child = fork(CHILD_ENTRY, [], {
      // --expose-gc: each thread frees a finished document's instances at once (child/mupdf.ts, collectGarbage).
      execArgv: [...(FROM_SOURCE ? ['-r', TS_HOOK] : []), `--max-old-space-size=${memoryMb}`, '--expose-gc'],
      serialization: 'advanced',
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      // Its own process group, so a kill reaches LibreOffice too.
      detached: true,
      // It parses untrusted documents: none of the worker's secrets.
      env: converterEnvironment(),
    });
    this.child.stderr?.on('data', (chunk: Buffer) => {
      this.stderr = (this.stderr + chunk.toString('utf8')).slice(-4000);
    });
    this.readyPromise = new Promise((resolve, reject) => {
      this.child.on('message', (m: ChildMessage) => {
        if (m.kind === 'ready') {
          this.readyNow = true;
          resolve();
        } else if (!this.readyNow && m.kind === 'failure') reject(new Error(`conversion process could not start: ${m.message}`));
        this.listener?.(m);
      });
      this.child.on('exit', () => {
        this.exited = true;
        this.killGroup();
        if (!this.readyNow) reject(new Error(`conversion process exited while starting: ${this.stderr.trim().slice(-500)}`));
        this.exitListener?.();
      });
      this.child.on('error', (err) => reject(err));
    });
    // A process started ahead of need that never gets used must not fail loudly.
    this.readyPromise.catch(() => undefined);
  }

  /** The process id, while it runs (tests read its environment). */
  get pid(): number | undefined {
    return this.child.pid;
  }

  static start(memoryMb: number): ConversionProcess {
    return new ConversionProcess(memoryMb);
  }

  get ready(): Promise<void> {
    return this.readyPromise;
  }

  /** Documents this process answered: the more, the more of MuPDF's code V8 has optimised. */
  get documents(): number {
    return this.answeredDocuments;
  }

  /** Not gone, not killed and not converting: can take a document (at once if ready). */
  get usable(): boolean {
    return !this.exited && !this.killed && !this.busy;
  }

  /** Lets the parent process exit while this process idles. */
  setIdle(idle: boolean): void {
    const handles = [this.child, this.child.channel, this.child.stderr as Socket | null];
    for (const h of handles) {
      if (!h) continue;
      if (idle) h.unref();
      else h.ref();
    }
  }

  /** Kills this process and everything it started (LibreOffice), which share its process group. */
  killGroup(): void {
    this.killed = true;
    if (this.child.pid === undefined) return;
    try {
      process.kill(-this.child.pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }

  /**
   * Runs the job with a wall-clock budget (start-up included when the process is started for
   * it) and a memory budget: the V8 heap cap given at start plus a watchdog on resident memory,
   * which also covers MuPDF's WebAssembly heap. The process is killed when the budget is
   * exceeded, after a failure that is not the document's fault, and with `retire` once it has
   * answered; with `waitForExit` the promise settles only once it (and LibreOffice) has exited,
   * so their temporary files can go. Otherwise it stays, for the next document.
   */
  run(
    job: ConversionJob,
    limits: ConversionLimits,
    onProgress: ((done: number, total: number) => void) | undefined,
    opts: { retire: boolean; waitForExit: boolean },
  ): Promise<ChildOutcome> {
    this.busy = true;
    this.setIdle(false);
    if (this.child.pid !== undefined) resetPeak(this.child.pid);
    return new Promise((resolve, reject) => {
      const pages: ChildPage[] = [];
      let outcome: { ok: ChildResult } | { err: Error } | null = null;
      let finished = false;
      let peakRssBytes = 0;
      const settle = (value: { ok: ChildResult } | { err: Error }): void => {
        outcome ??= value;
      };
      const fail = (err: Error): void => {
        settle({ err });
        this.killGroup();
      };
      const sample = (): void => {
        if (this.child.pid === undefined || this.exited) return;
        const { rss, peak } = memoryOf(this.child.pid);
        peakRssBytes = Math.max(peakRssBytes, peak, rss);
        if (rss > limits.memoryMb * 1024 * 1024) fail(new ConversionError('conversion_out_of_memory', `conversion used more than ${limits.memoryMb} MiB`));
      };
      const timer = setTimeout(() => fail(new ConversionError('conversion_timeout', `conversion took longer than ${limits.timeoutMs} ms`)), limits.timeoutMs);
      const watchdog = setInterval(sample, RSS_POLL_MS);

      const finish = (): void => {
        if (finished) return;
        finished = true;
        clearTimeout(timer);
        clearInterval(watchdog);
        this.listener = null;
        this.exitListener = null;
        this.busy = false;
        if (!outcome) {
          // V8 aborts with this message when the heap cap is hit.
          settle(
            /heap out of memory|Allocation failed/i.test(this.stderr)
              ? { err: new ConversionError('conversion_out_of_memory', `conversion exceeded its ${limits.memoryMb} MiB heap`) }
              : { err: new Error(`conversion process ended without an answer: ${this.stderr.trim().slice(-500)}`) },
          );
        }
        // filter() skips the holes of pages that never came.
        const received = pages.filter((p) => p !== undefined).length;
        if (outcome && 'ok' in outcome && received === outcome.ok.pages && pages.length === received) {
          resolve({ result: outcome.ok, pages, peakRssBytes });
        } else if (outcome && 'ok' in outcome) reject(new Error(`conversion process answered with ${received} of ${outcome.ok.pages} pages`));
        else if (outcome) reject(outcome.err);
      };
      const answered = (value: { ok: ChildResult } | { err: Error }, faultless: boolean): void => {
        // The peak of this document, read before anything else can run in the process.
        sample();
        settle(value);
        if (faultless) this.answeredDocuments++;
        if (opts.retire || !faultless) this.killGroup();
        if (!(opts.waitForExit && this.killed)) finish();
      };
      this.listener = (message) => {
        switch (message.kind) {
          case 'ready':
            this.child.send(job);
            break;
          case 'page':
            pages[message.page.index] = message.page;
            onProgress?.(message.done, message.total);
            break;
          case 'result':
            answered({ ok: message.result }, true);
            break;
          case 'error':
            answered({ err: new ConversionError(message.reason, message.message, message.params) }, true);
            break;
          case 'failure':
            answered({ err: new Error(`conversion failed: ${message.message}`) }, false);
            break;
        }
      };
      if (this.exited) return finish();
      this.exitListener = finish;
      if (this.readyNow) this.child.send(job);
    });
  }
}
