/**
 * Conversion speed and memory, side by side with Ghostscript's tiffg4 device.
 *
 * Run (builds first, so the conversion processes run the compiled code in dist/):
 *   npm run build && node -r ./src/conversion/child/register-ts.js bench/conversion.ts
 *
 * Documents: a 10-page and a 50-page business letter (text, rules, a table, a grey box) and a
 * 12-megapixel photo, all made here. Durafax converts each into TIFF-F (G4), the carrier PDF,
 * a PNG preview and a thumbnail per page; Ghostscript renders the same PDF (the photo wrapped
 * in a PDF page) to TIFF G4 only, at 204×196 dpi fitted to 1728×2287 pixels:
 *   gs -q -dNOPAUSE -dBATCH -dSAFER -sDEVICE=tiffg4 -r204x196 -g1728x2287 -dFIXEDMEDIA -dPDFFitPage
 * Each is timed wall-clock from the call to the finished output, best and median of RUNS.
 * Durafax is measured as a worker runs it (a warmed-up spare process waiting, see
 * prewarmConversions) and, for reference, cold (a fresh process for the call).
 * Peak RSS: the conversion process's own peak; Ghostscript's is read from /proc while it runs.
 * Install Ghostscript on Debian with: apt-get install ghostscript
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PDFDocument } from 'pdf-lib';
import { letterPdf, seeded } from './conversion-documents';

type Conversion = typeof import('../src/conversion');
type Mupdf = typeof import('mupdf', { with: { 'resolution-mode': 'import' } });

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const root = path.resolve(__dirname, '..');

interface Sample {
  ms: number;
  peakRssMb: number;
  cpuMs?: number;
}

interface Row {
  name: string;
  pages: number;
  warm: Sample[];
  cold: Sample;
  gs: Sample[] | null;
}

const best = (s: Sample[]): number => Math.min(...s.map((x) => x.ms));
const median = (s: Sample[]): number => {
  const sorted = s.map((x) => x.ms).sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
};
const peak = (s: Sample[]): number => Math.max(...s.map((x) => x.peakRssMb));

/** A 4000 × 3000 photo-like picture (gradients, discs, noise) as JPEG, made with MuPDF. */
async function photoJpeg(): Promise<Buffer> {
  const mupdf: Mupdf = await import('mupdf');
  const width = 4000;
  const height = 3000;
  const pixmap = new mupdf.Pixmap(mupdf.ColorSpace.DeviceRGB, [0, 0, width, height], false);
  const px = pixmap.getPixels();
  const stride = pixmap.getStride();
  const random = seeded(5);
  const discs = Array.from({ length: 40 }, () => ({ x: random() * width, y: random() * height, r: 50 + random() * 400, c: random() * 255 }));
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let v = 60 + (150 * x) / width + (40 * y) / height;
      for (const d of discs) if ((x - d.x) ** 2 + (y - d.y) ** 2 < d.r * d.r) v = (v + d.c) / 2;
      v += (random() - 0.5) * 30;
      const o = y * stride + x * 3;
      px[o] = v;
      px[o + 1] = v * 0.9;
      px[o + 2] = v * 0.8;
    }
  }
  const jpeg = Buffer.from(pixmap.asJPEG(88));
  pixmap.destroy();
  return jpeg;
}

/** The photo on a PDF page of its own size, for Ghostscript (which reads PDF, not JPEG). */
async function jpegInPdf(jpeg: Buffer): Promise<Buffer> {
  const doc = await PDFDocument.create();
  const image = await doc.embedJpg(jpeg);
  const page = doc.addPage([image.width * 0.24, image.height * 0.24]);
  page.drawImage(image, { x: 0, y: 0, width: page.getWidth(), height: page.getHeight() });
  return Buffer.from(await doc.save());
}

function ghostscript(): string | null {
  const found = spawnSync('gs', ['--version'], { encoding: 'utf8' });
  return found.status === 0 ? found.stdout.trim() : null;
}

/** One Ghostscript run: wall time, and peak RSS sampled from /proc while it runs. */
function runGs(pdfPath: string, outPath: string): Promise<Sample> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const args = ['-q', '-dNOPAUSE', '-dBATCH', '-dSAFER', '-sDEVICE=tiffg4', '-r204x196', '-g1728x2287', '-dFIXEDMEDIA', '-dPDFFitPage', `-sOutputFile=${outPath}`, pdfPath];
    const proc = spawn('gs', args, { stdio: 'ignore' });
    let peakKb = 0;
    const sample = (): void => {
      try {
        const status = fs.readFileSync(`/proc/${proc.pid}/status`, 'utf8');
        peakKb = Math.max(peakKb, Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0));
      } catch {
        // It has just exited.
      }
    };
    const timer = setInterval(sample, 2);
    proc.on('error', reject);
    proc.on('exit', (code) => {
      clearInterval(timer);
      if (code !== 0) reject(new Error(`gs exited with ${code}`));
      else resolve({ ms: performance.now() - started, peakRssMb: peakKb / 1024 });
    });
  });
}

async function main(): Promise<void> {
  const distEntry = path.join(root, 'dist/conversion/index.js');
  if (!fs.existsSync(distEntry)) throw new Error('dist/ is missing: run `npm run build` first');
  // The compiled build, so conversion processes run dist/ JavaScript like production does.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const conversion = require(distEntry) as Conversion;
  const gsVersion = ghostscript();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'durafax-bench-'));

  process.stdout.write('Making documents…\n');
  const jpeg = await photoJpeg();
  const docs = [
    { name: '10-page letter (PDF)', input: await letterPdf(10, 1), gsInput: null as Buffer | null },
    { name: '50-page letter (PDF)', input: await letterPdf(50, 2), gsInput: null as Buffer | null },
    { name: '12-megapixel photo (JPEG)', input: jpeg, gsInput: await jpegInPdf(jpeg) },
  ];

  // The conversion's own figures (CPU time, peak RSS) come from its log line.
  let last: { cpuMs?: number; peakRssMb?: number } = {};
  const capture = (line: string): void => {
    last = JSON.parse(line) as typeof last;
  };
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { createLogger } = require(path.join(root, 'dist/log.js')) as typeof import('../src/log');
  const log = createLogger('bench', 'info', capture);
  const convertOnce = async (input: Buffer): Promise<Sample & { pages: number }> => {
    const started = performance.now();
    const result = await conversion.convertDocument(input, { paper: 'a4', logger: log });
    return { ms: performance.now() - started, pages: result.pages, cpuMs: last.cpuMs, peakRssMb: last.peakRssMb ?? 0 };
  };

  const rows: Row[] = [];
  for (const doc of docs) {
    process.stdout.write(`Converting ${doc.name}…\n`);
    conversion.stopPrewarming();
    const cold = await convertOnce(doc.input);
    const warm: Sample[] = [];
    for (let i = 0; i < RUNS; i++) {
      await conversion.prewarmConversions();
      warm.push(await convertOnce(doc.input));
    }
    conversion.stopPrewarming();
    let gs: Sample[] | null = null;
    if (gsVersion) {
      const pdfPath = path.join(dir, 'input.pdf');
      fs.writeFileSync(pdfPath, doc.gsInput ?? doc.input);
      gs = [];
      for (let i = 0; i < RUNS; i++) gs.push(await runGs(pdfPath, path.join(dir, 'out.tif')));
    }
    rows.push({ name: doc.name, pages: cold.pages, warm, cold, gs });
  }
  fs.rmSync(dir, { recursive: true, force: true });

  const pps = (pages: number, ms: number): string => ((pages * 1000) / ms).toFixed(1);
  process.stdout.write(`\nMachine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'CPU'}, load average ${os.loadavg()[0].toFixed(1)}; ${RUNS} runs each.\n`);
  process.stdout.write(gsVersion ? `Baseline: Ghostscript ${gsVersion}, tiffg4 device.\n\n` : 'Ghostscript is not installed: no baseline (apt-get install ghostscript).\n\n');
  const header = ['document', 'pages', 'Durafax best ms', 'median ms', 'pages/s', 'CPU ms', 'peak RSS MB', 'cold ms', 'gs best ms', 'gs median', 'gs pages/s', 'gs RSS MB', 'speed vs gs'];
  const table = rows.map((r) => [
    r.name,
    String(r.pages),
    best(r.warm).toFixed(0),
    median(r.warm).toFixed(0),
    pps(r.pages, best(r.warm)),
    String(Math.min(...r.warm.map((s) => s.cpuMs ?? Infinity))),
    peak(r.warm).toFixed(0),
    r.cold.ms.toFixed(0),
    r.gs ? best(r.gs).toFixed(0) : '–',
    r.gs ? median(r.gs).toFixed(0) : '–',
    r.gs ? pps(r.pages, best(r.gs)) : '–',
    r.gs ? peak(r.gs).toFixed(0) : '–',
    r.gs ? `${(best(r.gs) / best(r.warm)).toFixed(2)}×` : '–',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i].length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  process.stdout.write(`${line(header)}\n${table.map(line).join('\n')}\n`);
  process.stdout.write('\n"speed vs gs" is Ghostscript\'s best time over Durafax\'s best time: above 1× Durafax is faster per page.\n');
  process.stdout.write('Durafax also writes the carrier PDF, a PNG preview and a thumbnail per page; Ghostscript writes the TIFF only.\n');
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
