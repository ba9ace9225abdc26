/**
 * Conversion speed and memory, side by side with Ghostscript's tiffg4 device in the same run.
 *
 * Run (builds first, so the conversion processes run the compiled code in dist/):
 *   npm run build && node -r ./src/conversion/child/register-ts.js bench/conversion.ts
 *
 * Documents, all made here: a 10-page and a 50-page business letter (text, rules, a table, a
 * grey box) and a 12-megapixel photo. Both sides get the same PDF files; for the photo, Durafax
 * gets the JPEG (what a sender uploads) and Ghostscript, which reads no JPEG, a PDF holding
 * those same JPEG bytes on an A4 page, placed as Durafax places it. A last row gives both that
 * PDF. Durafax writes TIFF-F (G4), the carrier PDF, a PNG preview and a thumbnail per page;
 * Ghostscript writes the G4 TIFF only, with the user's command (conversion-ghostscript.ts).
 *
 * Time is wall clock per document, and the headline compares both sides with process start
 * EXCLUDED: Durafax as a worker runs it (prewarmConversions keeps a started, warmed-up process
 * waiting), Ghostscript started ahead with the same options and then handed the document. For
 * reference, both are also timed with process start INCLUDED: a fresh Durafax process per
 * call, and the one-shot gs command. Runs alternate between the two sides, so a busy machine
 * slows both alike; best and median of RUNS each. CPU: all threads of the converting process.
 * BENCH_RUNS sets the runs (default 7); BENCH_DIST another build to measure (e.g. a copy of an
 * older dist/, for a before/after table). Install Ghostscript on Debian: apt-get install ghostscript
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { letterPdf, photoJpeg, photoOnA4Pdf } from './conversion-documents';
import { ghostscriptVersion, runGsOnce, WarmGhostscript, type Sample } from './conversion-ghostscript';

type Conversion = typeof import('../src/conversion');

const RUNS = Number(process.env.BENCH_RUNS ?? 7);
const root = path.resolve(__dirname, '..');

interface Doc {
  name: string;
  input: Buffer;
  /** What Ghostscript reads, when not the same bytes. */
  gsInput?: Buffer;
}

interface Row {
  name: string;
  pages: number;
  warm: Sample[];
  cold: Sample[];
  gsWarm: Sample[];
  gsCold: Sample[];
}

const best = (s: Sample[]): number => Math.min(...s.map((x) => x.ms));
const median = (s: Sample[]): number => {
  const sorted = s.map((x) => x.ms).sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
};
const leastCpu = (s: Sample[]): number => Math.min(...s.map((x) => x.cpuMs));
const peak = (s: Sample[]): number => Math.max(...s.map((x) => x.peakRssMb));

async function main(): Promise<void> {
  const dist = path.resolve(process.env.BENCH_DIST ?? path.join(root, 'dist'));
  const distEntry = path.join(dist, 'conversion/index.js');
  if (!fs.existsSync(distEntry)) throw new Error(`${distEntry} is missing: run \`npm run build\` first`);
  // The compiled build, so conversion processes run dist/ JavaScript like production does.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const conversion = require(distEntry) as Conversion;
  const gsVersion = ghostscriptVersion();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'durafax-bench-'));

  process.stdout.write('Making documents…\n');
  const jpeg = await photoJpeg();
  const photoPdf = await photoOnA4Pdf(jpeg);
  const docs: Doc[] = [
    { name: '10-page letter (PDF)', input: await letterPdf(10, 1) },
    { name: '50-page letter (PDF)', input: await letterPdf(50, 2) },
    { name: '12-megapixel photo (JPEG)', input: jpeg, gsInput: photoPdf },
    { name: '12-megapixel photo in a PDF', input: photoPdf },
  ];

  // The conversion's own figures (CPU time, peak RSS) come from its log line.
  let last: { cpuMs?: number; peakRssMb?: number } = {};
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { createLogger } = require(path.join(dist, 'log.js')) as typeof import('../src/log');
  const log = createLogger('bench', 'info', (line) => (last = JSON.parse(line) as typeof last));
  const convertOnce = async (input: Buffer): Promise<Sample & { pages: number }> => {
    const started = performance.now();
    const result = await conversion.convertDocument(input, { paper: 'a4', logger: log });
    return { ms: performance.now() - started, pages: result.pages, cpuMs: last.cpuMs ?? NaN, peakRssMb: last.peakRssMb ?? 0 };
  };

  const rows: Row[] = [];
  for (const doc of docs) {
    process.stdout.write(`Converting ${doc.name}…\n`);
    const pdfPath = path.join(dir, 'input.pdf');
    const outPath = path.join(dir, 'out.tif');
    fs.writeFileSync(pdfPath, doc.gsInput ?? doc.input);
    const row: Row = { name: doc.name, pages: 0, warm: [], cold: [], gsWarm: [], gsCold: [] };
    for (let i = 0; i < RUNS; i++) {
      // Process start excluded: a spare Durafax process, a waiting Ghostscript.
      await conversion.prewarmConversions();
      const warm = await convertOnce(doc.input);
      conversion.stopPrewarming();
      row.warm.push(warm);
      row.pages = warm.pages;
      if (gsVersion) {
        const gs = await WarmGhostscript.start(dir, outPath);
        row.gsWarm.push(await gs.convert(pdfPath));
        await gs.quit();
      }
      // Process start included: a fresh process for each call, the one-shot gs command.
      row.cold.push(await convertOnce(doc.input));
      if (gsVersion) row.gsCold.push(await runGsOnce(pdfPath, outPath));
    }
    rows.push(row);
  }
  fs.rmSync(dir, { recursive: true, force: true });

  const pps = (pages: number, ms: number): string => ((pages * 1000) / ms).toFixed(1);
  const ratio = (gs: Sample[], ours: Sample[]): string => (gs.length > 0 ? `${(best(gs) / best(ours)).toFixed(2)}×` : '–');
  const orDash = (gs: Sample[], f: (s: Sample[]) => string): string => (gs.length > 0 ? f(gs) : '–');
  process.stdout.write(
    `\nBuild: ${dist}\nMachine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'CPU'}, load average ${os.loadavg()[0].toFixed(1)}; ${RUNS} runs each, alternating.\n`,
  );
  process.stdout.write(
    gsVersion ? `Baseline: Ghostscript ${gsVersion}, tiffg4 device at 204×196 dpi.\n\n` : 'Ghostscript is not installed: no baseline (apt-get install ghostscript).\n\n',
  );

  const header = [
    'document',
    'pages',
    'best ms',
    'median',
    'pages/s',
    'CPU ms',
    'RSS MB',
    'gs best',
    'gs median',
    'gs pages/s',
    'gs CPU',
    'gs RSS',
    'vs gs',
    'start incl.: ms',
    'gs ms',
    'vs gs',
  ];
  const table = rows.map((r) => [
    r.name,
    String(r.pages),
    best(r.warm).toFixed(0),
    median(r.warm).toFixed(0),
    pps(r.pages, best(r.warm)),
    String(leastCpu(r.warm)),
    peak(r.warm).toFixed(0),
    orDash(r.gsWarm, (s) => best(s).toFixed(0)),
    orDash(r.gsWarm, (s) => median(s).toFixed(0)),
    orDash(r.gsWarm, (s) => pps(r.pages, best(s))),
    orDash(r.gsWarm, (s) => String(leastCpu(s))),
    orDash(r.gsWarm, (s) => peak(s).toFixed(0)),
    ratio(r.gsWarm, r.warm),
    best(r.cold).toFixed(0),
    orDash(r.gsCold, (s) => best(s).toFixed(0)),
    ratio(r.gsCold, r.cold),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i].length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  process.stdout.write(`${line(header)}\n${table.map(line).join('\n')}\n\n`);
  process.stdout.write(
    [
      '"vs gs": Ghostscript\'s best time over Durafax\'s best time for the same document (above 1× Durafax is faster).',
      'Columns up to the first "vs gs": process start excluded on both sides (Durafax: warmed-up spare process;',
      'gs: started ahead, then handed the document). Last three: process start included (a fresh Durafax process;',
      'the one-shot gs command). Durafax also writes the carrier PDF, a PNG preview and a thumbnail per page.',
      "Ghostscript's page is 1687 × 2292 pixels (A4 at 204×196 dpi), Durafax's 1728 × 2287 (the full scan line).",
    ].join('\n') + '\n',
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
