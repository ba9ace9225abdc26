import type { Locale, PaperSize } from '../domain/status';
import type { ReasonCode } from '../domain/reasons';

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
}

export type ConversionWarning = 'dark_page' | 'blank_page' | 'low_resolution' | 'resized';

export interface ConvertedPage {
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
