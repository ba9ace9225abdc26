import type { PaperSize } from '../../domain/status';
import type { ReasonCode } from '../../domain/reasons';
import type { ImageFrame } from '../formats/image-header';
import type { SourceType } from '../formats/source-type';
import type { ConversionLimits, ConversionWarning, CoverPage } from '../types';

/** What the parent sends the conversion child process, once per document. */
export interface ConversionJob {
  input: Uint8Array;
  type: SourceType;
  paper: PaperSize;
  cover?: CoverPage;
  limits: ConversionLimits;
  /** A private folder for this conversion (office documents only); the parent removes it afterwards. */
  tmpDir: string | null;
  /** LibreOffice's soffice program, for office documents. */
  soffice: string | null;
  /** Image frame sizes read from headers by the parent. */
  frames: ImageFrame[] | null;
}

/** The result as it crosses the process boundary (Buffers arrive as Uint8Arrays). */
export interface ChildResult {
  pages: number;
  paper: PaperSize;
  sourceType: SourceType;
  warnings: Array<{ code: ConversionWarning; page?: number }>;
  /** Diagnostics for logs: MuPDF warnings seen (count only: their text may quote the document). */
  libraryWarnings: number;
  /** CPU time the job took in the child, all threads, in milliseconds. */
  cpuMs: number;
}

/**
 * One finished page, sent as soon as it is done so that the transfer overlaps the rendering of
 * the others. The caller writes the TIFF and the carrier PDF around the G4 images, so they
 * cross the process boundary once rather than twice.
 */
export interface ChildPage {
  /** 0-based position in the fax, cover first. */
  index: number;
  width: number;
  height: number;
  g4: Uint8Array;
  preview: Uint8Array;
  thumbnail: Uint8Array;
  blackRatio: number;
}

export type ChildMessage =
  | { kind: 'ready' }
  /** A finished page; `done` of `total` pages are finished (in any order). */
  | { kind: 'page'; page: ChildPage; done: number; total: number }
  | { kind: 'result'; result: ChildResult }
  | { kind: 'error'; reason: ReasonCode; message: string; params: Record<string, string | number> }
  /** Not the document's fault (a bug or an environment problem): the caller may retry. */
  | { kind: 'failure'; message: string };
