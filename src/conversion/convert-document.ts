import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createLogger } from '../log';
import type { ConversionJob } from './child/process-messages';
import { ConversionProcess } from './conversion-process';
import { DEFAULT_LIMITS, resolveLimits } from './limits';
import { prepareInput } from './prepare';
import { writeFaxPdf } from './raster/fax-pdf';
import { PAPERS } from './raster/paper';
import { writeTiffF } from './raster/tiff';
import { isOfficeType } from './formats/source-type';
import { ConversionError, type ConversionOptions, type ConversionResult } from './types';

const defaultLog = createLogger('conversion');

/** A warmed-up process waiting for the next document, when prewarmConversions() asked for one. */
let spare: ConversionProcess | null = null;
let keepSpare = false;

function startSpare(): void {
  if (!keepSpare || spare) return;
  const next = ConversionProcess.start(DEFAULT_LIMITS.memoryMb, true);
  spare = next;
  // Once warm it only waits, and must not keep this process alive.
  next.ready.then(
    () => next.setIdle(true),
    () => {
      if (spare === next) spare = null;
    },
  );
}

/** The spare if it is ready and fits the job's memory budget, otherwise a fresh process. */
function takeProcess(memoryMb: number): ConversionProcess {
  if (spare?.available && spare.memoryMb === memoryMb) {
    const taken = spare;
    spare = null;
    return taken;
  }
  return ConversionProcess.start(memoryMb);
}

/**
 * From now on, keeps one conversion process started and warmed up ahead of need (MuPDF
 * loaded, hot code compiled on a built-in page), so a document does not wait for start-up.
 * Each process still converts a single document. For long-running workers; resolves when the
 * first one is ready.
 */
export async function prewarmConversions(): Promise<void> {
  keepSpare = true;
  startSpare();
  await spare?.ready;
}

/** Stops keeping a spare process and ends the one waiting, if any. */
export function stopPrewarming(): void {
  keepSpare = false;
  spare?.killGroup();
  spare = null;
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
    if (office) tmpDir = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'durafax-convert-'));
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
    const { result, pages, peakRssBytes } = await takeProcess(limits.memoryMb).run(job, limits, options.onProgress, office);
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
    if (tmpDir) await fs.promises.rm(tmpDir, { recursive: true, force: true });
    // Starting a process takes a few milliseconds of this thread: after the caller has its answer.
    setImmediate(startSpare);
  }
}
