import { finishPage, type FaxPageOutput } from '../raster/fax-page';
import type { G4Helper } from '../raster/kernels';
import { PAPERS } from '../raster/paper';
import { placePage } from '../raster/placement';
import type { ConversionWarning } from '../types';
import { asConversionError } from './errors';
import type { Mupdf } from './mupdf';
import type { LoadedPage, PageSource } from './page-source';
import { FaxCanvas } from './canvas';
import { openSpec, type PageJob } from './source-spec';
import { coverPage } from './sources/cover';
import { TextPainter } from './text-painter';

/** More black than this is hard on fax machines: long transmissions that time out. */
const DARK_PAGE_RATIO = 0.5;
/** Fewer black pixels than this (about 200 on a page) is a blank sheet with specks at most. */
const BLANK_PAGE_RATIO = 0.00005;
/** Pictures printed at less than this many pixels per inch look blocky. */
const LOW_RESOLUTION_DPI = 100;
/**
 * Pages scaled by more than this to fit the paper are reported: A4 on Letter (−6 %) and
 * Letter on A4 are everyday and stay quiet; A3, A5 or Legal do not.
 */
const RESIZE_TOLERANCE = 0.07;

/** One finished fax page and what it says about itself. */
export interface PageResult {
  /** 0-based position in the fax, cover first. */
  index: number;
  output: FaxPageOutput;
  warnings: ConversionWarning[];
  /** A page of the document (not the cover) without ink. */
  blankSourcePage: boolean;
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
 * Everything one thread needs to turn pages of a document into fax pages: the opened source,
 * a canvas and fonts. Each rendering thread has its own (MuPDF objects are not shared
 * between threads); pages are drawn one at a time, so memory stays flat.
 */
export class PageRenderer {
  private readonly painter: TextPainter;
  private readonly source: PageSource;
  private readonly canvas: FaxCanvas;
  /** Pages of the fax: the document's, and the cover. */
  readonly total: number;

  constructor(
    private readonly mupdf: Mupdf,
    private readonly job: PageJob,
  ) {
    this.painter = new TextPainter(mupdf);
    try {
      this.source = openSpec(mupdf, this.painter, job.spec, job.paper, job.maxPixelsPerPage, job.photoBudget);
    } catch (err) {
      this.painter.destroy();
      throw err;
    }
    this.canvas = new FaxCanvas(mupdf, PAPERS[job.paper]);
    this.total = this.source.count + (job.cover ? 1 : 0);
  }

  /** Pages of the document itself, without the cover. */
  get sourcePages(): number {
    return this.source.count;
  }

  /**
   * Renders and finishes one page; asynchronous while its photos are decoded and while a
   * `helper` thread codes half of its G4 image.
   */
  async render(index: number, helper?: G4Helper): Promise<PageResult> {
    const { cover } = this.job;
    const isCover = cover !== undefined && index === 0;
    const sourceIndex = cover ? index - 1 : index;
    try {
      if (!isCover) await this.source.prepare?.(sourceIndex);
    } catch (err) {
      throw asConversionError(err, `preparing page ${sourceIndex + 1}`);
    }
    return this.renderLoaded(index, isCover, sourceIndex, helper);
  }

  private async renderLoaded(index: number, isCover: boolean, sourceIndex: number, helper: G4Helper | undefined): Promise<PageResult> {
    const { cover } = this.job;
    let page: LoadedPage;
    try {
      page = isCover && cover ? coverPage(this.mupdf, this.painter, cover, PAPERS[this.job.paper], this.total) : this.source.load(sourceIndex);
    } catch (err) {
      throw asConversionError(err, `loading page ${sourceIndex + 1}`);
    }
    try {
      const placement = placePage(page.bounds, PAPERS[this.job.paper], page.marginPt);
      let grey: Uint8Array;
      try {
        grey = this.canvas.draw(page, placement.matrix);
      } catch (err) {
        throw asConversionError(err, `rendering page ${index + 1}`);
      }
      const output = await finishPage(grey, PAPERS[this.job.paper].rows, helper);
      const warnings = pageWarnings(page, output, placement.scale, placement.placedPt.width, placement.rotated);
      return { index, output, warnings, blankSourcePage: !isCover && warnings.includes('blank_page') };
    } finally {
      page.destroy();
    }
  }

  destroy(): void {
    this.canvas.destroy();
    this.source.close();
    this.painter.destroy();
  }
}
