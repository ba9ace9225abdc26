import os from 'node:os';
import { createLogger } from '../log';
import type { ConversionJob } from './child/process-messages';
import { ConversionProcess, type ChildOutcome } from './conversion-process';
import { resolveLimits } from './limits';
import { makeOfficeJob, removeOfficeJob } from './office-profile';
import { prepareInput } from './prepare';
import { ProcessPool } from './process-pool';
import { writeFaxPdf } from './raster/fax-pdf';
import { PAPERS } from './raster/paper';
import { writeTiffF } from './raster/tiff';
import { isOfficeType } from './formats/source-type';
import { ConversionError, type ConversionOptions, type ConversionResult } from './types';

const defaultLog = createLogger('conversion');

/** How long a conversion process stays without a document before it goes: see keepConversionProcesses. */
export const DEFAULT_IDLE_MS = 30_000;

/** Set by keepConversionProcesses(): the worker's processes, serving one document after another while work comes. */
let pool: ProcessPool | null = null;

/**
 * For long-running workers: from now on at most `concurrency` documents convert at once (by
 * default one per core; the others wait their turn), and a conversion process, once started,
 * converts one document after another (each with new MuPDF instances: memory no other
 * document was written to, made from the process's one compilation of MuPDF) and goes when it
 * has had nothing to do for `idleMs`. Nothing is started until a document or
 * conversionImminent() asks for it.
 */
export function keepConversionProcesses(opts: { idleMs?: number; concurrency?: number } = {}): void {
  pool?.stop();
  pool = new ProcessPool(opts.idleMs ?? DEFAULT_IDLE_MS, opts.concurrency ?? os.availableParallelism());
}

/**
 * A document is on its way (an upload began): starts a process now unless one waits or every
 * turn is taken, so the document finds MuPDF compiled. Only while keepConversionProcesses() is
 * in effect; the process goes after the idle time if no document comes. Resolves when a
 * waiting process is ready, or could not start (the document then starts one of its own);
 * callers need not wait.
 */
export async function conversionImminent(): Promise<void> {
  await pool?.imminent();
}

/** Documents waiting for their turn to convert (0 unless processes are kept). */
export function conversionsWaiting(): number {
  return pool?.waiting ?? 0;
}

/** Stops keeping processes and ends those waiting, if any. */
export function stopConversionProcesses(): void {
  pool?.stop();
  pool = null;
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
  let waitedMs = 0;
  try {
    const prepared = prepareInput(input, options, limits);
    sourceType = prepared.type;
    // Only LibreOffice writes files; other documents never touch the disk.
    const office = isOfficeType(prepared.type);
    if (office) tmpDir = await makeOfficeJob();
    const job: ConversionJob = {
      input,
      type: prepared.type,
      paper: options.paper,
      cover: options.cover,
      limits,
      tmpDir: tmpDir ?? null,
      soffice: prepared.soffice,
      frames: prepared.frames,
    };
    const kept = pool;
    const queuedAt = Date.now();
    const endTurn = kept ? await kept.turn() : () => undefined;
    waitedMs = Date.now() - queuedAt;
    let outcome: ChildOutcome;
    try {
      // LibreOffice stays a process per document: a process that ran it goes, with its process group.
      const retire = !kept || office;
      const converter = kept ? kept.take(limits.memoryMb, office) : ConversionProcess.start(limits.memoryMb);
      try {
        outcome = await converter.run(job, limits, options.onProgress, { retire, waitForExit: office });
      } finally {
        if (!retire) kept?.giveBack(converter);
      }
    } finally {
      endTurn();
    }
    const { result, pages, peakRssBytes } = outcome;
    log.info('document converted', {
      sourceType,
      bytes: input.length,
      pages: result.pages,
      warnings: result.warnings.length,
      libraryWarnings: result.libraryWarnings,
      ms: Date.now() - started,
      waitedMs,
      cpuMs: result.cpuMs,
      peakRssMb: Math.round(peakRssBytes / (1024 * 1024)),
    });
    return {
      pages: result.pages,
      paper: result.paper,
      sourceType: result.sourceType,
      warnings: result.warnings,
      tiff: writeTiffF(pages),
      pdf: writeFaxPdf(pages, PAPERS[result.paper]),
      pageImages: pages.map((p) => ({ preview: toBuffer(p.preview), thumbnail: toBuffer(p.thumbnail), blackRatio: p.blackRatio })),
    };
  } catch (err) {
    if (err instanceof ConversionError) log.info('document rejected', { sourceType, bytes: input.length, reason: err.reason, ms: Date.now() - started });
    else log.error('conversion failed', { sourceType, bytes: input.length, err });
    throw err;
  } finally {
    if (tmpDir) await removeOfficeJob(tmpDir);
  }
}
