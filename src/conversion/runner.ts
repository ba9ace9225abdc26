import { fork } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createLogger } from '../log';
import type { ChildMessage, ChildResult, ConversionJob } from './child/protocol';
import { resolveLimits } from './limits';
import { prepareInput } from './prepare';
import { ConversionError, type ConversionLimits, type ConversionOptions, type ConversionResult } from './types';

const defaultLog = createLogger('conversion');

/**
 * The child runs from dist/ as JavaScript; under jest (or any TypeScript runner) this file
 * is .ts and the child is started from the TypeScript source with a small require hook
 * that compiles it on the fly (child/register-ts.js).
 */
const FROM_SOURCE = __filename.endsWith('.ts');
const CHILD_ENTRY = path.join(__dirname, 'child', FROM_SOURCE ? 'entry.ts' : 'entry.js');
const TS_HOOK = path.join(__dirname, 'child', 'register-ts.js');
const RSS_POLL_MS = 50;

/** Resident memory of a process in bytes (Linux /proc; 0 where unavailable). */
function rssOf(pid: number): number {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** Kills the child and everything it started (LibreOffice), which share its process group. */
function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

interface ChildOutcome {
  result: ChildResult;
  peakRssBytes: number;
}

/**
 * Runs one job in a fresh child process with a wall-clock budget and a memory budget (V8
 * heap cap plus a watchdog on resident memory, which also covers MuPDF's WebAssembly heap).
 * Settles only after the child has exited, so its temporary files can be removed.
 */
function runChild(job: ConversionJob, limits: ConversionLimits, onProgress?: (done: number, total: number) => void): Promise<ChildOutcome> {
  return new Promise((resolve, reject) => {
    const child = fork(CHILD_ENTRY, [], {
      execArgv: [...(FROM_SOURCE ? ['-r', TS_HOOK] : []), `--max-old-space-size=${limits.memoryMb}`],
      serialization: 'advanced',
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      // Its own process group, so a kill reaches LibreOffice too.
      detached: true,
    });
    let outcome: { ok: ChildResult } | { err: Error } | null = null;
    let stderr = '';
    let peakRssBytes = 0;
    const settle = (value: { ok: ChildResult } | { err: Error }): void => {
      outcome ??= value;
    };
    const timer = setTimeout(() => {
      settle({ err: new ConversionError('conversion_timeout', `conversion took longer than ${limits.timeoutMs} ms`) });
      killGroup(child.pid);
    }, limits.timeoutMs);
    const watchdog = setInterval(() => {
      if (child.pid === undefined) return;
      const rss = rssOf(child.pid);
      peakRssBytes = Math.max(peakRssBytes, rss);
      if (rss > limits.memoryMb * 1024 * 1024) {
        settle({ err: new ConversionError('conversion_out_of_memory', `conversion used more than ${limits.memoryMb} MiB`) });
        killGroup(child.pid);
      }
    }, RSS_POLL_MS);

    child.stderr?.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString('utf8')).slice(-4000);
    });
    child.on('message', (message: ChildMessage) => {
      switch (message.kind) {
        case 'ready':
          child.send(job);
          break;
        case 'progress':
          onProgress?.(message.done, message.total);
          break;
        case 'result':
          settle({ ok: message.result });
          break;
        case 'error':
          settle({ err: new ConversionError(message.reason, message.message, message.params) });
          break;
        case 'failure':
          settle({ err: new Error(`conversion failed: ${message.message}`) });
          break;
      }
    });
    child.on('error', (err) => {
      settle({ err });
      killGroup(child.pid);
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      clearInterval(watchdog);
      killGroup(child.pid);
      if (!outcome) {
        // V8 aborts with this message when the heap cap is hit.
        settle(
          /heap out of memory|Allocation failed/i.test(stderr)
            ? { err: new ConversionError('conversion_out_of_memory', `conversion exceeded its ${limits.memoryMb} MiB heap`) }
            : { err: new Error(`conversion process ended without an answer (code ${code}, signal ${signal}): ${stderr.trim().slice(-500)}`) },
        );
      }
      if (outcome && 'ok' in outcome) resolve({ result: outcome.ok, peakRssBytes });
      else if (outcome) reject(outcome.err);
    });
  });
}

const toBuffer = (u: Uint8Array): Buffer => Buffer.from(u.buffer, u.byteOffset, u.byteLength);

/**
 * Converts an uploaded document into fax pages: TIFF-F (G4), the carrier PDF embedding the
 * same G4 images, a PNG preview and thumbnail per page, and the page count. Throws a
 * ConversionError (with a reason code that has a translated message) for a document that
 * cannot be faxed; any other error is a fault of the machine, worth retrying.
 */
export async function convertDocument(input: Buffer, options: ConversionOptions): Promise<ConversionResult> {
  const started = Date.now();
  const log = options.logger ?? defaultLog;
  const limits = resolveLimits(options.limits);
  let sourceType: string | undefined;
  let tmpDir: string | undefined;
  try {
    const prepared = prepareInput(input, options, limits);
    sourceType = prepared.type;
    tmpDir = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'durafax-convert-'));
    const job: ConversionJob = {
      input,
      type: prepared.type,
      paper: options.paper,
      cover: options.cover,
      limits,
      tmpDir,
      soffice: prepared.soffice,
      frames: prepared.frames,
    };
    const { result, peakRssBytes } = await runChild(job, limits, options.onProgress);
    log.info('document converted', {
      sourceType,
      bytes: input.length,
      pages: result.pages,
      warnings: result.warnings.length,
      libraryWarnings: result.libraryWarnings,
      ms: Date.now() - started,
      peakRssMb: Math.round(peakRssBytes / (1024 * 1024)),
    });
    return {
      pages: result.pages,
      paper: result.paper,
      sourceType: result.sourceType,
      warnings: result.warnings,
      tiff: toBuffer(result.tiff),
      pdf: toBuffer(result.pdf),
      pageImages: result.pageImages.map((p) => ({ preview: toBuffer(p.preview), thumbnail: toBuffer(p.thumbnail), blackRatio: p.blackRatio })),
    };
  } catch (err) {
    if (err instanceof ConversionError) log.info('document rejected', { sourceType, bytes: input.length, reason: err.reason, ms: Date.now() - started });
    else log.error('conversion failed', { sourceType, bytes: input.length, err });
    throw err;
  } finally {
    if (tmpDir) await fs.promises.rm(tmpDir, { recursive: true, force: true });
  }
}
