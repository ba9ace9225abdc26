import type { FaxPageOutput } from '../raster/fax-page';
import { writeFaxPdf } from '../raster/fax-pdf';
import { PAPERS } from '../raster/paper';
import { placePage } from '../raster/placement';
import { writeTiffF } from '../raster/tiff';
import { decodeText } from '../source/text-decode';
import { isImageType, isOfficeType } from '../source/source-type';
import { ConversionError, type ConversionWarning } from '../types';
import { asConversionError } from './errors';
import type { FinisherPool } from './finisher-pool';
import { loadMupdf, type Mupdf } from './mupdf';
import type { LoadedPage, PageSource } from './page-source';
import type { ChildResult, ConversionJob } from './protocol';
import { FaxRenderer } from './renderer';
import { coverPage } from './sources/cover';
import { openImage } from './sources/image';
import { officeToPdf } from './sources/office';
import { openPdf } from './sources/pdf';
import { layoutTextFor, textPages } from './sources/text';
import { openWebp } from './sources/webp';
import { TextPainter } from './text-painter';

/** More black than this is hard on fax machines: long transmissions that time out. */
export const DARK_PAGE_RATIO = 0.5;
/** Fewer black pixels than this (about 200 on a page) is a blank sheet with specks at most. */
export const BLANK_PAGE_RATIO = 0.00005;
/** Pictures printed at less than this many pixels per inch look blocky. */
const LOW_RESOLUTION_DPI = 100;
/**
 * Pages scaled by more than this to fit the paper are reported: A4 on Letter (−6 %) and
 * Letter on A4 are everyday and stay quiet; A3, A5 or Legal do not.
 */
const RESIZE_TOLERANCE = 0.07;

async function openSource(mupdf: Mupdf, painter: TextPainter, job: ConversionJob): Promise<PageSource> {
  const { type, input, limits } = job;
  const paper = PAPERS[job.paper];
  if (type === 'pdf') return openPdf(mupdf, input, limits.maxPixelsPerPage);
  if (type === 'webp') return openWebp(mupdf, input);
  if (isImageType(type)) return openImage(mupdf, input, type, job.frames ?? []);
  if (isOfficeType(type)) {
    if (!job.soffice) throw new ConversionError('needs_libreoffice', 'LibreOffice is not installed');
    const pdf = await officeToPdf(job.soffice, input, type, job.tmpDir, limits.timeoutMs);
    return openPdf(mupdf, pdf, limits.maxPixelsPerPage);
  }
  const text = decodeText(Buffer.from(input.buffer, input.byteOffset, input.byteLength));
  if (text === null) throw new ConversionError('unsupported_format', 'not a text file');
  const pages = layoutTextFor(text, paper);
  if (pages.length === 0) throw new ConversionError('empty_document', 'text has nothing printable');
  return textPages(painter, pages, paper);
}

function pageWarnings(page: Pick<LoadedPage, 'kind' | 'pixels'>, out: FaxPageOutput, scale: number, placedWidthPt: number, rotated: boolean): ConversionWarning[] {
  const warnings: ConversionWarning[] = [];
  if (out.blackRatio > DARK_PAGE_RATIO) warnings.push('dark_page');
  if (out.blackRatio < BLANK_PAGE_RATIO) warnings.push('blank_page');
  if (page.kind === 'document' && Math.abs(scale - 1) > RESIZE_TOLERANCE) warnings.push('resized');
  if (page.kind === 'image' && page.pixels) {
    const across = rotated ? page.pixels.height : page.pixels.width;
    const dpi = across / (placedWidthPt / 72);
    if (dpi < LOW_RESOLUTION_DPI) warnings.push('low_resolution');
  }
  return warnings;
}

/**
 * The whole conversion, inside the child process: open the source, check the page count,
 * render every page onto the fax canvas, turn it into 1-bit and encode the outputs.
 */
export async function runPipeline(job: ConversionJob, pool: FinisherPool, progress: (done: number, total: number) => void): Promise<ChildResult> {
  const mupdf = await loadMupdf();
  let libraryWarnings = 0;
  mupdf.setLog({ warning: () => libraryWarnings++, error: () => libraryWarnings++ });
  const paper = PAPERS[job.paper];
  const painter = new TextPainter(mupdf);
  const cleanup: Array<() => void> = [() => painter.destroy()];
  try {
    const source = await openSource(mupdf, painter, job);
    cleanup.push(() => source.close());
    const renderer = new FaxRenderer(mupdf, paper);
    cleanup.push(() => renderer.destroy());
    const total = source.count + (job.cover ? 1 : 0);
    if (total > job.limits.maxPages) {
      throw new ConversionError('too_many_pages', `document has ${total} pages, the limit is ${job.limits.maxPages}`, { pages: total, limit: job.limits.maxPages });
    }
    const outputs: FaxPageOutput[] = [];
    const warnings: ChildResult['warnings'] = [];
    const inFlight: Array<Promise<void>> = [];
    let blankSourcePages = 0;
    let done = 0;

    // Renders one page here and hands it to the pool; the warnings need the finished bitmap.
    const renderOne = (page: LoadedPage, index: number, isCover: boolean): Promise<void> => {
      const placement = placePage(page.bounds, paper, page.marginPt);
      let grey: Uint8Array;
      try {
        grey = renderer.render(page, placement.matrix);
      } catch (err) {
        throw asConversionError(err, `rendering page ${index + 1}`);
      }
      const facts = { kind: page.kind, pixels: page.pixels };
      return pool.finish(grey, paper.rows).then((out) => {
        outputs[index] = out;
        for (const code of pageWarnings(facts, out, placement.scale, placement.placedPt.width, placement.rotated)) {
          if (code === 'blank_page' && !isCover) blankSourcePages++;
          warnings.push({ code, page: index + 1 });
        }
      });
    };
    // Waits for the oldest page in flight, so progress is reported in page order.
    const settleOldest = async (): Promise<void> => {
      await inFlight.shift();
      progress(++done, total);
    };
    const enqueue = async (work: Promise<void>): Promise<void> => {
      inFlight.push(work);
      if (inFlight.length >= pool.depth) await settleOldest();
    };

    let index = 0;
    if (job.cover) await enqueue(renderOne(coverPage(mupdf, painter, job.cover, paper, total), index++, true));
    for (let i = 0; i < source.count; i++) {
      let page: LoadedPage;
      try {
        page = source.load(i);
      } catch (err) {
        throw asConversionError(err, `loading page ${i + 1}`);
      }
      let work: Promise<void>;
      try {
        work = renderOne(page, index++, false);
      } finally {
        page.destroy();
      }
      await enqueue(work);
    }
    while (inFlight.length > 0) await settleOldest();
    if (blankSourcePages === source.count) throw new ConversionError('empty_document', 'every page is blank');
    // Two threads finish pages, so their warnings may arrive out of order.
    warnings.sort((a, b) => (a.page ?? 0) - (b.page ?? 0));

    const g4Pages = outputs.map(({ width, height, g4 }) => ({ width, height, g4 }));
    return {
      pages: outputs.length,
      paper: job.paper,
      sourceType: job.type,
      warnings,
      tiff: writeTiffF(g4Pages),
      pdf: writeFaxPdf(g4Pages, paper),
      pageImages: outputs.map(({ preview, thumbnail, blackRatio }) => ({ preview, thumbnail, blackRatio })),
      libraryWarnings,
      cpuMs: 0,
      maxRssBytes: 0,
    };
  } finally {
    for (const release of cleanup.reverse()) release();
  }
}
