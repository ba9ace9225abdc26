import type { Locale, PaperSize } from '../domain/status';
import type { ReasonCode } from '../domain/reasons';
import type { Logger } from '../log';

export interface CoverPage {
  senderName?: string;
  recipientName?: string;
  /** E.164 of the destination, printed on the cover. */
  recipientNumber?: string;
  subject?: string;
  message?: string;
  locale: Locale;
}

export interface ConversionLimits {
  maxBytes: number;
  maxPages: number;
  /** Largest pixel count of one decoded page or image (decompression-bomb guard). */
  maxPixelsPerPage: number;
  /** Wall-clock budget of one conversion, ms. */
  timeoutMs: number;
  /** Memory budget of the conversion child process, MiB. */
  memoryMb: number;
}

export interface ConversionOptions {
  paper: PaperSize;
  cover?: CoverPage;
  limits?: Partial<ConversionLimits>;
  /**
   * LibreOffice's `soffice` program for office documents: a path, or false to refuse them.
   * By default `soffice` or `libreoffice` is looked up on PATH.
   */
  libreOffice?: string | false;
  /** Called after each page is done (e.g. to heartbeat an activity). */
  onProgress?: (done: number, total: number) => void;
  /** Where the outcome of each conversion is logged; a `conversion` logger on stdout by default. */
  logger?: Logger;
}

export type ConversionWarning = 'dark_page' | 'blank_page' | 'low_resolution' | 'resized';

interface ConvertedPage {
  /** 1-bit PNG at fax resolution (1728 px wide), exactly what is transmitted. */
  preview: Buffer;
  /** Small PNG of the same page. */
  thumbnail: Buffer;
  /** Share of black pixels, 0..1. */
  blackRatio: number;
}

export interface ConversionResult {
  /** Pages transmitted, cover included. */
  pages: number;
  paper: PaperSize;
  /** Format detected from the content (e.g. `pdf`, `png`, `text`, `docx`). */
  sourceType: string;
  warnings: Array<{ code: ConversionWarning; page?: number }>;
  /** Multi-page TIFF-F, CCITT Group 4. */
  tiff: Buffer;
  /** PDF embedding exactly the G4 page images, for the carrier. */
  pdf: Buffer;
  pageImages: ConvertedPage[];
}

/** A document that cannot be faxed, with a reason code that has a translated message. */
export class ConversionError extends Error {
  constructor(
    readonly reason: ReasonCode,
    message: string,
    readonly params: Record<string, string | number> = {},
  ) {
    super(message);
    this.name = 'ConversionError';
  }
}
