import { DEFAULT_LIMITS } from '../limits';
import type { SourceType } from '../source/source-type';
import { loadMupdf } from './mupdf';
import type { PageThreads } from './page-threads';
import { runPipeline } from './pipeline';

const WARM_UP_PAGES = 4;
const WARM_UP_ROUNDS = 3;

/**
 * A small built-in PDF: pages of text in two fonts, a rule and a grey box, so a warm-up touches
 * every hot path (glyph rendering, anti-aliased edges, error diffusion, G4, PNG).
 */
function warmUpPdf(pages: number): Buffer {
  const content =
    'BT /F1 11 Tf 72 760 Td 14 TL (Warm-up page: the quick brown fox jumps over the lazy dog 0123456789.) Tj T* (Second line of text in a body font.) Tj ET ' +
    'BT /F2 18 Tf 72 800 Td (Heading) Tj ET 0.6 w 72 700 m 520 700 l S 0.5 g 72 450 300 200 re f';
  const pageObjects = Array.from({ length: pages }, (_, i) => `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595.28 841.89] /Resources << /Font << /F1 3 0 R /F2 4 0 R >> >> /Contents ${6 + pages + i} 0 R >>`);
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    `<< /Type /Pages /Kids [${pageObjects.map((_, i) => `${6 + i} 0 R`).join(' ')}] /Count ${pages} >>`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Times-Roman >>',
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold >>',
    '<< /Producer (Durafax warm-up) >>',
    ...pageObjects,
    ...pageObjects.map((_, i) => {
      const stream = `${content} BT /F1 9 Tf 290 40 Td (${i + 1}) Tj ET`;
      return `<< /Length ${stream.length} >>\nstream\n${stream}\nendstream`;
    }),
  ];
  let out = '%PDF-1.4\n';
  const offsets = objects.map((body, i) => {
    const at = out.length;
    out += `${i + 1} 0 obj\n${body}\nendobj\n`;
    return at;
  });
  const xref = out.length;
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n${offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('')}`;
  out += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(out, 'latin1');
}

/** A small colour photo-like JPEG (gradients), so image decoding and scaling are compiled too. */
async function warmUpJpeg(): Promise<Buffer> {
  const mupdf = await loadMupdf();
  const width = 640;
  const height = 480;
  const pixmap = new mupdf.Pixmap(mupdf.ColorSpace.DeviceRGB, [0, 0, width, height], false);
  try {
    const px = pixmap.getPixels();
    const stride = pixmap.getStride();
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const o = y * stride + x * 3;
        px[o] = (x * 255) / width;
        px[o + 1] = (y * 255) / height;
        px[o + 2] = ((x ^ y) & 0xff) >> 1;
      }
    }
    return Buffer.from(pixmap.asJPEG(85));
  } finally {
    pixmap.destroy();
  }
}

/**
 * Converts built-in documents (text pages on every thread, and a photo) a few times, so the
 * JavaScript and WebAssembly of a fresh process are compiled and optimised before a real
 * document arrives. No user data is involved: the process stays a clean, single-use one.
 */
export async function warmUp(threads: PageThreads): Promise<void> {
  const documents: Array<{ input: Buffer; type: SourceType }> = [
    { input: warmUpPdf(WARM_UP_PAGES), type: 'pdf' },
    { input: await warmUpJpeg(), type: 'jpeg' },
  ];
  for (let round = 0; round < WARM_UP_ROUNDS; round++) {
    for (const { input, type } of documents) {
      await runPipeline(
        {
          input,
          type,
          paper: round === 1 ? 'letter' : 'a4',
          cover: round === 0 ? { locale: 'en', subject: 'Warm-up' } : undefined,
          limits: DEFAULT_LIMITS,
          tmpDir: null,
          soffice: null,
          frames: type === 'jpeg' ? [{ width: 640, height: 480 }] : null,
        },
        threads,
        () => undefined,
      );
    }
  }
}
