/**
 * Where one page's conversion time goes, step by step, in this process (steady state: each step
 * is repeated and the best time kept): MuPDF drawing the page, each WebAssembly kernel, the PNG
 * framing. For a page of the bench's letter and for its 12-megapixel photo. The whole-document
 * figures against Ghostscript are bench/conversion.ts's; this is for tuning.
 *
 *   node -r ./src/conversion/child/register-ts.js bench/conversion-stages.ts
 */
import { letterPdf, photoJpeg } from './conversion-documents';
import { loadMupdf } from '../src/conversion/child/mupdf';
import { FaxCanvas } from '../src/conversion/child/canvas';
import { openSpec, specFor } from '../src/conversion/child/source-spec';
import { TextPainter } from '../src/conversion/child/text-painter';
import { finishPage } from '../src/conversion/raster/fax-page';
import { deflateBitmapRows, ditherToBitmap, encodeG4, thumbnailPixels } from '../src/conversion/raster/kernels';
import { PAPERS } from '../src/conversion/raster/paper';
import { placePage } from '../src/conversion/raster/placement';
import { bitmapPng, encodeGreyPng } from '../src/conversion/raster/png';
import { DEFAULT_LIMITS } from '../src/conversion/limits';
import type { SourceType } from '../src/conversion/formats/source-type';

const REPEAT = Number(process.env.BENCH_REPEAT ?? 20);

function best(f: () => unknown): number {
  let min = Infinity;
  for (let i = 0; i < REPEAT; i++) {
    const t = performance.now();
    f();
    min = Math.min(min, performance.now() - t);
  }
  return min;
}

async function main(): Promise<void> {
  const mupdf = await loadMupdf();
  const paper = PAPERS.a4;
  const canvas = new FaxCanvas(mupdf, paper);
  const documents: Array<[string, Buffer, SourceType]> = [
    ['letter page', await letterPdf(1, 1), 'pdf'],
    ['12-megapixel photo', await photoJpeg(), 'jpeg'],
  ];
  const rows: string[][] = [];
  for (const [name, input, type] of documents) {
    const spec = await specFor({ input, type, paper: 'a4', limits: DEFAULT_LIMITS, tmpDir: null, soffice: null, frames: null });
    const source = openSpec(mupdf, new TextPainter(mupdf), spec, 'a4', DEFAULT_LIMITS.maxPixelsPerPage);
    await source.prepare?.(0);
    const page = source.load(0);
    const { matrix } = placePage(page.bounds, paper, page.marginPt);
    const render = best(() => canvas.draw(page, matrix));
    const grey = Uint8Array.from(canvas.draw(page, matrix));
    const bitmap = ditherToBitmap(grey, 1728, paper.rows);
    const rowsZ = deflateBitmapRows(bitmap);
    const thumb = thumbnailPixels(bitmap);
    rows.push([
      name,
      render.toFixed(2),
      best(() => ditherToBitmap(grey, 1728, paper.rows)).toFixed(2),
      best(() => encodeG4(bitmap)).toFixed(2),
      best(() => deflateBitmapRows(bitmap)).toFixed(2),
      best(() => thumbnailPixels(bitmap)).toFixed(2),
      best(() => bitmapPng(1728, paper.rows, rowsZ)).toFixed(2),
      best(() => encodeGreyPng(thumb.pixels, thumb.width, thumb.height)).toFixed(2),
      best(() => finishPage(grey, paper.rows)).toFixed(2),
    ]);
    page.destroy();
    source.close();
  }
  const header = ['page', 'draw', 'dither', 'G4', 'preview rows', 'thumbnail', 'preview PNG', 'thumbnail PNG', 'finishing in all'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  process.stdout.write(`Best of ${REPEAT}, ms, one thread. The kernels' steps copy their input in (dither: the grey page; the others: the bitmap);\n`);
  process.stdout.write(`"finishing in all" is what a page costs after drawing (the bitmap stays in the kernels' memory).\n\n`);
  process.stdout.write(`${line(header)}\n${rows.map(line).join('\n')}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
