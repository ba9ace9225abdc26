/**
 * Renders every page of a PDF twice, once with its large JPEG photos decoded by libjpeg-turbo
 * (sharp, as conversions do) and once with MuPDF decoding everything, and writes both G4
 * encodings (base64) per page as JSON, with how many photos were swapped for their samples
 * while each page was drawn and whether every other image read back its original data. In a
 * child process, because MuPDF and the dynamic import of sharp cannot load inside jest files:
 *   node -r src/conversion/child/register-ts.js pdf-photo-child.ts <pdf> <out.json> [budget bytes]
 */
import fs from 'node:fs';
import { loadMupdf } from '../../../src/conversion/child/mupdf';
import { PageRenderer } from '../../../src/conversion/child/page-renderer';
import { PdfPhotos, PhotoBudget } from '../../../src/conversion/child/sources/pdf-photos';
import { DEFAULT_LIMITS } from '../../../src/conversion/limits';

export interface PhotoPageReport {
  sharp: string;
  mupdf: string;
  /** Image streams that held plain samples (no filter) while the page was drawn. */
  swapped: number;
  /** Every other image stream (those of earlier pages included) held its original bytes and filter meanwhile. */
  restored: boolean;
}

async function main(): Promise<void> {
  const [input, out, budgetArg] = process.argv.slice(2);
  const data = fs.readFileSync(input);
  const mupdf = await loadMupdf();
  const budgetBytes = budgetArg ? Number(budgetArg) : 128 * 1024 * 1024;
  const render = async (budget: SharedArrayBuffer | undefined): Promise<string[]> => {
    const renderer = new PageRenderer(mupdf, { spec: { kind: 'pdf', data }, paper: 'a4', maxPixelsPerPage: DEFAULT_LIMITS.maxPixelsPerPage, photoBudget: budget });
    try {
      const pages: string[] = [];
      for (let i = 0; i < renderer.total; i++) pages.push(Buffer.from((await renderer.render(i)).output.g4).toString('base64'));
      return pages;
    } finally {
      renderer.destroy();
    }
  };
  const sharp = await render(PhotoBudget.create(budgetBytes));
  const own = await render(undefined);

  // What the swap does to the document itself, page by page.
  const doc = mupdf.Document.openDocument(data, 'application/pdf');
  const pdf = doc.asPDF();
  if (!pdf) throw new Error('not a PDF');
  const images = (): Array<{ num: number; filter: string; params: string; bytes: string }> => {
    const found = [];
    for (let num = 1; num < pdf.countObjects(); num++) {
      const ref = pdf.newIndirect(num);
      if (!ref.isStream() || ref.get('Subtype').toString() !== '/Image') continue;
      const raw = ref.readRawStream();
      found.push({ num, filter: ref.get('Filter').toString(), params: ref.get('DecodeParms').toString(), bytes: Buffer.from(raw.asUint8Array()).toString('base64') });
      raw.destroy();
    }
    return found;
  };
  const original = images();
  const photos = new PdfPhotos(mupdf, pdf, new PhotoBudget(PhotoBudget.create(budgetBytes)));
  const reports: PhotoPageReport[] = [];
  for (let i = 0; i < doc.countPages(); i++) {
    await photos.prepare(i);
    const now = images();
    const swapped = now.filter((image) => image.filter === 'null');
    const others = now.filter((image) => image.filter !== 'null');
    const restored = now.length === original.length && others.every((image) => JSON.stringify(image) === JSON.stringify(original.find((o) => o.num === image.num)));
    reports.push({ sharp: sharp[i], mupdf: own[i], swapped: swapped.length, restored });
  }
  photos.close();
  doc.destroy();
  fs.writeFileSync(out, JSON.stringify(reports));
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
