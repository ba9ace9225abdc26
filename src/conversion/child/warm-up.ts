import { DEFAULT_LIMITS } from '../limits';
import type { SourceType } from '../formats/source-type';
import { loadMupdf, reserveHeap } from './mupdf';
import type { ThreadPool } from './thread-pool';
import { runPipeline } from './pipeline';

const WARM_UP_PAGES = 4;
const WARM_UP_ROUNDS = 3;
/** See reserveHeap: 2 × 36 MB + 2 × 12 MB + 16 MB for a 4000 × 3000 colour photo. */
const PHOTO_HEAP_BYTES = 112 * 1024 * 1024;

const LINES = [
  'The quick brown fox jumps over the lazy dog; pack my box with five dozen liquor jugs.',
  'SPHINX OF BLACK QUARTZ, JUDGE MY VOW! 0123456789 (+49) 30 1234-5678, 12.34 % & $ 5.00.',
  'Waltz, bad nymph, for quick jigs vex. How vexingly quick daft zebras jump: "yes", [no].',
];

/**
 * A built-in PDF: full pages of text in serif, sans and bold faces at several sizes, rules and a
 * grey box, so a warm-up runs every hot path (parsing, glyph rendering, anti-aliased edges,
 * error diffusion, G4, PNG) as long as a real document would.
 */
function warmUpPdf(pages: number): Buffer {
  const text: string[] = [];
  for (let i = 0, y = 770; y > 120; i++, y -= 15) {
    const [font, size] = i % 9 === 0 ? ['F2', 14] : i % 4 === 0 ? ['F3', 9] : ['F1', i % 2 === 0 ? 10 : 12];
    text.push(`BT /${font} ${size} Tf 60 ${y} Td (${LINES[i % LINES.length]}) Tj ET`);
  }
  const content = `${text.join(' ')} 0.6 w 60 100 m 535 100 l S 60 60 m 535 60 l S 0.5 g 400 790 120 40 re f`;
  const pageObjects = Array.from(
    { length: pages },
    (_, i) => `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595.28 841.89] /Resources << /Font << /F1 3 0 R /F2 4 0 R /F3 5 0 R >> >> /Contents ${7 + pages + i} 0 R >>`,
  );
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    `<< /Type /Pages /Kids [${pageObjects.map((_, i) => `${7 + i} 0 R`).join(' ')}] /Count ${pages} >>`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Times-Roman >>',
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold >>',
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
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

/**
 * A small colour photo-like JPEG (gradients and grain), so image decoding and scaling are
 * compiled too, and the dithering and G4 paths that busy, noisy pictures take.
 */
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
        // Grain from a hash of the position, so every warm-up is the same.
        const grain = (((x * 73856093) ^ (y * 19349663)) >>> 0) % 48;
        px[o] = (x * 200) / width + grain;
        px[o + 1] = (y * 200) / height + grain;
        px[o + 2] = (((x ^ y) & 0xff) >> 1) + grain;
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
export async function warmUp(threads: ThreadPool): Promise<void> {
  threads.preloadSharp();
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
  // A single photo is drawn on this thread: its MuPDF heap is grown now to what a 12-megapixel
  // one needs (decoded samples in a PDF, their copy while drawing, grey copies), so the first
  // document does not pay a page fault for each 4 KB of it.
  reserveHeap(await loadMupdf(), PHOTO_HEAP_BYTES);
}
