import { ConversionError } from '../../types';
import { asConversionError } from '../errors';
import type { Mupdf } from '../mupdf';
import type { PageSource } from '../page-source';
import { PdfPhotos, PhotoBudget } from './pdf-photos';

type PdfDocument = NonNullable<ReturnType<InstanceType<Mupdf['Document']>['asPDF']>>;

/**
 * Refuses a PDF that embeds an image larger than the pixel limit: MuPDF would decode it in
 * full before scaling it down (a decompression bomb fits in a few kilobytes of Flate data).
 */
function checkEmbeddedImages(pdf: PdfDocument, maxPixels: number): void {
  const count = pdf.countObjects();
  for (let num = 1; num < count; num++) {
    // isStream() looks at the object's xref entry, so ask the reference, not the resolved dictionary.
    const ref = pdf.newIndirect(num);
    if (!ref.isStream()) continue;
    const obj = ref.resolve();
    if (obj.get('Subtype').isName() && obj.get('Subtype').asName() === 'Image') {
      const w = obj.get('Width').asNumber();
      const h = obj.get('Height').asNumber();
      if (w * h > maxPixels) {
        throw new ConversionError('page_too_large', `embedded image of ${w}×${h} pixels exceeds the limit of ${maxPixels}`, { width: w, height: h });
      }
    }
  }
}

/** The last kilobyte of a complete PDF holds its end-of-file marker; a cut-off upload does not. */
function looksTruncated(data: Uint8Array): boolean {
  const tail = Buffer.from(data.buffer, data.byteOffset, data.byteLength).subarray(Math.max(0, data.byteLength - 1024));
  return !tail.includes('%%EOF');
}

/**
 * Opens a PDF and checks it (password, image sizes, page count). With a `photoBudget`, the large
 * JPEG photos of each page are decoded by libjpeg-turbo before the page is drawn (sources/pdf-photos.ts).
 */
export function openPdf(mupdf: Mupdf, data: Uint8Array, maxPixels: number, photoBudget?: SharedArrayBuffer): PageSource {
  if (looksTruncated(data)) throw new ConversionError('corrupt_document', 'PDF has no end-of-file marker (truncated)');
  let doc: InstanceType<Mupdf['Document']>;
  try {
    doc = mupdf.Document.openDocument(data, 'application/pdf');
  } catch (err) {
    throw asConversionError(err, 'opening PDF');
  }
  try {
    if (doc.needsPassword()) throw new ConversionError('encrypted_document', 'PDF needs a password');
    const count = doc.countPages();
    if (count === 0) throw new ConversionError('empty_document', 'PDF has no pages');
    const pdf = doc.asPDF();
    // Before any image is decoded, by MuPDF or by libjpeg-turbo.
    if (pdf) checkEmbeddedImages(pdf, maxPixels);
    const photos = pdf && photoBudget ? new PdfPhotos(mupdf, pdf, new PhotoBudget(photoBudget)) : null;
    return {
      count,
      prepare: photos ? (index) => photos.prepare(index) : undefined,
      load(index) {
        const page = doc.loadPage(index);
        return {
          bounds: page.getBounds(),
          kind: 'document',
          marginPt: 0,
          draw: (device, ctm) => page.run(device, ctm as [number, number, number, number, number, number]),
          destroy: () => page.destroy(),
        };
      },
      close: () => {
        photos?.close();
        doc.destroy();
      },
    };
  } catch (err) {
    doc.destroy();
    throw asConversionError(err, 'reading PDF');
  }
}
