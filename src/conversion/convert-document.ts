import { createLogger } from '../log';
import type { ConversionJob } from './child/process-messages';
import { ConversionProcess, type ChildOutcome } from './conversion-process';
import { DEFAULT_LIMITS, resolveLimits } from './limits';
import { makeOfficeJob, removeOfficeJob } from './office-profile';
import { prepareInput } from './prepare';
import { writeFaxPdf } from './raster/fax-pdf';
import { PAPERS } from './raster/paper';
import { writeTiffF } from './raster/tiff';
import { isOfficeType } from './formats/source-type';
import { ConversionError, type ConversionOptions, type ConversionResult } from './types';

const defaultLog = createLogger('conversion');

/** How long a conversion process stays without a document before it goes: see keepConversionProcesses. */
export const DEFAULT_IDLE_MS = 30_000;

/** Set by keepConversionProcesses(): processes serve one document after another while work comes. */
let keeping: { idleMs: number } | null = null;
/** The process waiting for the next document (started, or done with its last one), if any. */
let waiting: ConversionProcess | null = null;
let idleTimer: NodeJS.Timeout | null = null;

/** (Re)starts the waiting process's idle time; at its end the process goes: no memory held while nothing comes. */
function startIdleTime(converter: ConversionProcess, idleMs: number): void {
  if (idleTimer) clearTimeout(idleTimer);
  idleTimer = setTimeout(() => {
    idleTimer = null;
    if (waiting === converter) waiting = null;
    converter.killGroup();
  }, idleMs);
  idleTimer.unref();
}

/** Lets `converter` wait for the next document, unless another one does (at most one waits). */
function wait(converter: ConversionProcess): void {
  // One that died while waiting (killed, crashed) makes room.
  if (waiting && !waiting.usable) stopWaiting();
  if (!keeping || waiting || !converter.usable) return converter.killGroup();
  waiting = converter;
  // Once ready it only waits, and must not keep this process alive.
  void converter.ready.then(
    () => waiting === converter && converter.setIdle(true),
    () => undefined,
  );
  startIdleTime(converter, keeping.idleMs);
}

/** Ends the waiting process, if any. */
function stopWaiting(): void {
  if (idleTimer) clearTimeout(idleTimer);
  idleTimer = null;
  waiting?.killGroup();
  waiting = null;
}

/** The waiting process if it fits the job's memory budget, otherwise a new one. */
function takeProcess(memoryMb: number): ConversionProcess {
  const candidate = waiting;
  waiting = null;
  if (idleTimer) clearTimeout(idleTimer);
  idleTimer = null;
  if (candidate?.usable && candidate.memoryMb === memoryMb) return candidate;
  candidate?.killGroup();
  return ConversionProcess.start(memoryMb);
}

/**
 * For long-running workers: from now on a conversion process, once started, converts one
 * document after another (each with new MuPDF instances: memory no other document was written
 * to, made from the process's one compilation of MuPDF) and goes when it has had nothing to do
 * for `idleMs`. At most one waits; documents that arrive while it is busy get processes of
 * their own, which wait in its place or go. Nothing is started until a document or
 * conversionImminent() asks for it.
 */
export function keepConversionProcesses(opts: { idleMs?: number } = {}): void {
  keeping = { idleMs: opts.idleMs ?? DEFAULT_IDLE_MS };
}

/**
 * A document is on its way (an upload began): starts a process now unless one waits, so the
 * document finds MuPDF compiled. Only while keepConversionProcesses() is in effect; the process
 * goes after the idle time if no document comes. Resolves when the waiting process is ready,
 * or could not start (the document then starts one of its own); callers need not wait.
 */
export async function conversionImminent(): Promise<void> {
  if (!keeping) return;
  // A process that waits already gets its idle time anew: the document is on its way.
  if (waiting?.usable) startIdleTime(waiting, keeping.idleMs);
  else wait(ConversionProcess.start(DEFAULT_LIMITS.memoryMb));
  await waiting?.ready.catch(() => undefined);
}

/** Stops keeping processes and ends the one waiting, if any. */
export function stopConversionProcesses(): void {
  keeping = null;
  stopWaiting();
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
    const converter = takeProcess(limits.memoryMb);
    // LibreOffice stays a process per document: a process that ran it goes, with its process group.
    const retire = !keeping || office;
    let outcome: ChildOutcome;
    try {
      outcome = await converter.run(job, limits, options.onProgress, { retire, waitForExit: office });
    } finally {
      if (!retire) wait(converter);
    }
    const { result, pages, peakRssBytes } = outcome;
    log.info('document converted', {
      sourceType,
      bytes: input.length,
      pages: result.pages,
      warnings: result.warnings.length,
      libraryWarnings: result.libraryWarnings,
      ms: Date.now() - started,
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
