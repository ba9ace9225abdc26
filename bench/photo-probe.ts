/**
 * Where a photo's time goes inside a conversion process, phase by phase: the first photo in a
 * FRESH process (what a document meets in a process started for it), and then again in the
 * same process, each time with a new MuPDF instance as every document gets (steady state). Per
 * phase: wall ms, minor page faults, and MuPDF's WebAssembly memory. Not part of npm test; for tuning.
 *
 *   node -r ./src/conversion/child/register-ts.js bench/photo-probe.ts [jpeg|baseline|pdf] [rounds]
 *
 * jpeg: the bench's photo (progressive, 4:4:4, as MuPDF writes it); baseline: the same photo
 * re-encoded the way phones write photos (baseline, 4:2:0); pdf: the bench's photo in a PDF.
 * PROBE_MUPDF_DECODES=1 lets MuPDF decode a PDF's photo.
 *
 * The photo and its PDF are made once into the OS temp folder (making them would itself warm
 * MuPDF's heap, so it happens in a separate process).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { forgetMupdf, loadMupdf, mupdfMemory } from '../src/conversion/child/mupdf';
import { FaxCanvas } from '../src/conversion/child/canvas';
import { openSpec, specFor } from '../src/conversion/child/source-spec';
import { TextPainter } from '../src/conversion/child/text-painter';
import { PhotoBudget } from '../src/conversion/child/sources/pdf-photos';
import { DEFAULT_LIMITS } from '../src/conversion/limits';
import { finishPage } from '../src/conversion/raster/fax-page';
import { PAPERS } from '../src/conversion/raster/paper';
import { placePage } from '../src/conversion/raster/placement';
import sharp from 'sharp';
import { photoJpeg, photoOnA4Pdf } from './conversion-documents';

const DIR = path.join(os.tmpdir(), 'durafax-photo-probe');
const JPEG = path.join(DIR, 'photo.jpg');
const PDF = path.join(DIR, 'photo.pdf');
/** The same photo as a phone writes it: baseline, 4:2:0. */
const BASELINE = path.join(DIR, 'photo-baseline.jpg');

async function makeDocuments(): Promise<void> {
  fs.mkdirSync(DIR, { recursive: true });
  const jpeg = await photoJpeg();
  fs.writeFileSync(JPEG, jpeg);
  fs.writeFileSync(PDF, await photoOnA4Pdf(jpeg));
  fs.writeFileSync(BASELINE, await sharp(jpeg).jpeg({ quality: 90 }).toBuffer());
}

async function probe(kind: 'jpeg' | 'pdf' | 'baseline', rounds: number): Promise<void> {
  let mupdf = await loadMupdf();
  const heapMb = (): string => (mupdfMemory(mupdf).byteLength / 2 ** 20).toFixed(0);
  const rssMb = (): string => (process.memoryUsage.rss() / 2 ** 20).toFixed(0);
  const faults = (): number => process.resourceUsage().minorPageFault;
  console.log(`started: heap ${heapMb()} MB, rss ${rssMb()} MB`);
  const input = fs.readFileSync(kind === 'jpeg' ? JPEG : kind === 'baseline' ? BASELINE : PDF);
  const type: 'pdf' | 'jpeg' = kind === 'pdf' ? 'pdf' : 'jpeg';
  for (let round = 0; round < rounds; round++) {
    if (round > 0) {
      forgetMupdf();
      mupdf = await loadMupdf();
    }
    let t = performance.now();
    let f = faults();
    const lap = (label: string): void => {
      const n = performance.now();
      const g = faults();
      console.log(`  ${label.padEnd(8)} ${(n - t).toFixed(1).padStart(6)} ms  faults ${String(g - f).padStart(6)}  heap ${heapMb()} MB  rss ${rssMb()} MB`);
      t = n;
      f = g;
    };
    console.log(round === 0 ? 'first photo:' : `photo ${round + 1}:`);
    const started = performance.now();
    const job = { input, type, paper: 'a4' as const, limits: DEFAULT_LIMITS, tmpDir: null, soffice: null, frames: type === 'jpeg' ? [{ width: 4000, height: 3000 }] : null };
    const spec = await specFor(job);
    lap('spec');
    const painter = new TextPainter(mupdf);
    const canvas = new FaxCanvas(mupdf, PAPERS.a4);
    const budget = process.env.PROBE_MUPDF_DECODES === '1' ? undefined : PhotoBudget.forProcess(DEFAULT_LIMITS.memoryMb);
    const source = openSpec(mupdf, painter, spec, 'a4', DEFAULT_LIMITS.maxPixelsPerPage, budget);
    lap('open');
    await source.prepare?.(0);
    lap('prepare');
    const page = source.load(0);
    lap('load');
    const grey = canvas.draw(page, placePage(page.bounds, PAPERS.a4, page.marginPt).matrix);
    lap('render');
    const output = await finishPage(grey, PAPERS.a4.rows);
    lap('finish');
    page.destroy();
    source.close();
    canvas.destroy();
    painter.destroy();
    lap('close');
    if (output.g4.length === 0) throw new Error('no page');
    console.log(`  total    ${(performance.now() - started).toFixed(1).padStart(6)} ms`);
  }
}

const [kind = 'jpeg', rounds = '3'] = process.argv.slice(2);
if (kind === 'make') {
  void makeDocuments();
} else {
  if (!fs.existsSync(BASELINE)) execFileSync(process.execPath, [...process.execArgv, __filename, 'make'], { stdio: 'inherit' });
  void probe(kind === 'pdf' || kind === 'baseline' ? kind : 'jpeg', Number(rounds));
}
