import type { PaperSize } from '../../domain/status';
import { PAPERS } from '../raster/paper';
import type { ImageFrame } from '../formats/image-header';
import { decodeText } from '../formats/text-decode';
import { isImageType, isOfficeType, type ImageType } from '../formats/source-type';
import { ConversionError, type CoverPage } from '../types';
import { loadMupdf, reserveHeap, type Mupdf } from './mupdf';
import type { PageSource, Picture } from './page-source';
import type { ConversionJob } from './process-messages';
import { openImage } from './sources/image';
import { officeToPdf } from './sources/office';
import { openPdf } from './sources/pdf';
import { layoutTextFor, textPages } from './sources/text';
import { decodeJpeg, type JpegFrame } from './sources/jpeg';
import { picturePages } from './sources/picture';
import { decodeWebp } from './sources/webp';
import type { TextPainter } from './text-painter';

/**
 * What every rendering thread needs to open the pages of one document by itself: the bytes
 * MuPDF reads, or what only one thread should compute once (LibreOffice's PDF, the decoded
 * WebP or JPEG picture, the text layout). Structured-clone friendly, so it crosses to worker threads.
 */
export type SourceSpec =
  | { kind: 'pdf'; data: Uint8Array }
  /** `decoded`: the picture of a JPEG, decoded once by a faster decoder than MuPDF's. */
  | { kind: 'image'; data: Uint8Array; type: Exclude<ImageType, 'webp'>; frames: ImageFrame[]; decoded?: Picture }
  | { kind: 'picture'; picture: Picture }
  | { kind: 'text'; pages: string[][] };

/** One document as the rendering threads share it. */
export interface PageJob {
  spec: SourceSpec;
  paper: PaperSize;
  cover?: CoverPage;
  maxPixelsPerPage: number;
  /**
   * Bytes of decoded photo samples all threads of the process may hold at once (PhotoBudget);
   * without it, MuPDF decodes the photos of PDF pages itself.
   */
  photoBudget?: SharedArrayBuffer;
}

/** Opens the pages a spec describes; checks (password, image sizes, page count) happen here too. */
export function openSpec(mupdf: Mupdf, painter: TextPainter, spec: SourceSpec, paper: PaperSize, maxPixelsPerPage: number, photoBudget?: SharedArrayBuffer): PageSource {
  switch (spec.kind) {
    case 'pdf':
      return openPdf(mupdf, spec.data, maxPixelsPerPage, photoBudget);
    case 'image':
      return openImage(mupdf, spec.data, spec.type, spec.frames, spec.decoded);
    case 'picture':
      return picturePages(mupdf, spec.picture);
    case 'text':
      return textPages(painter, spec.pages, PAPERS[paper]);
  }
}

/**
 * Turns the job into a spec, doing the work that must happen once per document: LibreOffice
 * for office files, libwebp for WebP, libjpeg-turbo for JPEG, the text layout for plain text.
 */
export async function specFor(job: ConversionJob): Promise<SourceSpec> {
  const { type, input, limits } = job;
  if (type === 'pdf') return { kind: 'pdf', data: input };
  if (type === 'webp') return { kind: 'picture', picture: await decodeWebp(input) };
  if (type === 'jpeg') {
    const mupdf = await loadMupdf();
    // While libjpeg-turbo decodes: the picture's copy in MuPDF, and what drawing it allocates.
    const meanwhile = (frame: JpegFrame | null): void => {
      if (frame) reserveHeap(mupdf, frame.width * frame.height * (frame.components + 2) + 16 * 1024 * 1024);
    };
    return { kind: 'image', data: input, type, frames: job.frames ?? [], decoded: (await decodeJpeg(input, limits.maxPixelsPerPage, meanwhile)) ?? undefined };
  }
  if (isImageType(type)) return { kind: 'image', data: input, type, frames: job.frames ?? [] };
  if (isOfficeType(type)) {
    if (!job.soffice) throw new ConversionError('needs_libreoffice', 'LibreOffice is not installed');
    if (!job.tmpDir) throw new Error('office documents need a temporary folder');
    return { kind: 'pdf', data: await officeToPdf(job.soffice, input, type, job.tmpDir, limits.timeoutMs) };
  }
  const text = decodeText(Buffer.from(input.buffer, input.byteOffset, input.byteLength));
  if (text === null) throw new ConversionError('unsupported_format', 'not a text file');
  const pages = layoutTextFor(text, PAPERS[job.paper]);
  if (pages.length === 0) throw new ConversionError('empty_document', 'text has nothing printable');
  return { kind: 'text', pages };
}
