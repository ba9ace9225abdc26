/**
 * Conversion CPU per document, start and warm-up included, beside Ghostscript's one-shot `gs`
 * for the same document, in the same run.
 *
 * Run (builds first, so the conversion processes run the compiled code in dist/):
 *   npm run build && node -r ./src/conversion/child/register-ts.js bench/conversion.ts
 *
 * Documents, all made here: a 1-, a 10- and a 50-page business letter (text, rules, a table, a
 * grey box) and a 12-megapixel photo. Both sides get the same PDF files; for the photo, Durafax
 * gets the JPEG (what a sender uploads) and Ghostscript, which reads no JPEG, a PDF holding
 * those same JPEG bytes on an A4 page, placed as Durafax places it; a last row gives both that
 * PDF. Durafax writes TIFF-F (G4), the carrier PDF, a PNG preview and a thumbnail per page;
 * Ghostscript writes the G4 TIFF only, with the user's command (conversion-ghostscript.ts).
 *
 * Each run, for each document:
 * - gs: the one-shot command, process start included (CPU of its process, wall to exit).
 * - Durafax, a process started for the document (as the worker does when an upload begins):
 *   the process's CPU until it is ready (start: Node, compiling MuPDF, the rendering threads),
 *   then the document's (the first one, on code not yet optimised), both to the nanosecond
 *   from /proc/<pid>/task/<tid>/schedstat; their sum is what one document alone costs.
 * - Durafax, the same document BENCH_AGAIN more times in that process (as in a stream of
 *   uploads): CPU of the process per document, everything it did between answers included
 *   (new MuPDF instances, collecting the previous one's garbage).
 * CPU is user + system of all threads. Runs alternate between the sides, so a busy machine
 * slows both alike; best and median of BENCH_RUNS (default 5).
 *
 * BENCH_DIST measures another build (e.g. a copy of an older dist/): a build from before
 * conversion processes served several documents (prewarmConversions) is measured as it ran
 * then, a warmed-up spare process per document (its warm-up is the start). BENCH_AGAIN (default 3).
 * Install Ghostscript on Debian: apt-get install ghostscript
 */
import { setTimeout as delay } from 'node:timers/promises';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { letterPdf, photoJpeg, photoOnA4Pdf } from './conversion-documents';
import { ghostscriptVersion, runGsOnce } from './conversion-ghostscript';
import { childrenOf, threadsCpuMs } from './fax-processes';
import { printTable } from './fax-report';

type Conversion = typeof import('../src/conversion');
/** The API of builds from before conversion processes served several documents. */
interface SpareApi {
  prewarmConversions(): Promise<void>;
  stopPrewarming(): void;
}

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const AGAIN = Number(process.env.BENCH_AGAIN ?? 3);
const root = path.resolve(__dirname, '..');

interface Doc {
  name: string;
  input: Buffer;
  /** What Ghostscript reads, when not the same bytes. */
  gsInput?: Buffer;
}

/** CPU ms and wall ms of one measure. */
interface Sample {
  cpu: number;
  wall: number;
}

interface Row {
  doc: Doc;
  pages: number;
  gs: Sample[];
  start: Sample[];
  first: Sample[];
  again: Sample[];
}

const best = (s: Sample[], key: keyof Sample): number => Math.min(...s.map((x) => x[key]));
const median = (s: Sample[], key: keyof Sample): number => {
  const sorted = s.map((x) => x[key]).sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
};
const sum = (a: Sample[], b: Sample[]): Sample[] => a.map((x, i) => ({ cpu: x.cpu + b[i].cpu, wall: x.wall + b[i].wall }));

/** The conversion process this bench process started (it has one at a time). */
async function conversionPid(): Promise<number> {
  for (let i = 0; i < 500; i++) {
    const pid = childrenOf(process.pid).find((p) => fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(`conversion${path.sep}child${path.sep}main`));
    if (pid) return pid;
    await delay(10);
  }
  throw new Error('no conversion process found');
}

function cpuOfProcess(pid: number): number {
  const cpu = threadsCpuMs(pid);
  if (cpu === null) throw new Error('the conversion process is gone');
  return cpu;
}

/** One run of a document through a process started for it, then again in the same process. */
async function runKept(conversion: Conversion, convert: (input: Buffer) => Promise<number>, doc: Doc, row: Row): Promise<void> {
  conversion.keepConversionProcesses({ idleMs: 600_000 });
  try {
    let wall = performance.now();
    await conversion.conversionImminent();
    const pid = await conversionPid();
    let cpu = cpuOfProcess(pid);
    row.start.push({ cpu, wall: performance.now() - wall });
    for (let i = 0; i <= AGAIN; i++) {
      wall = performance.now();
      row.pages = await convert(doc.input);
      const now = cpuOfProcess(pid);
      (i === 0 ? row.first : row.again).push({ cpu: now - cpu, wall: performance.now() - wall });
      cpu = now;
    }
  } finally {
    conversion.stopConversionProcesses();
  }
}

/** One run in a build from before: a warmed-up spare per document, its warm-up the start. */
async function runSpare(spares: SpareApi, convert: (input: Buffer) => Promise<number>, lastCpuMs: () => number, doc: Doc, row: Row): Promise<void> {
  const wall = performance.now();
  await spares.prewarmConversions();
  row.start.push({ cpu: cpuOfProcess(await conversionPid()), wall: performance.now() - wall });
  const started = performance.now();
  row.pages = await convert(doc.input);
  row.first.push({ cpu: lastCpuMs(), wall: performance.now() - started });
  spares.stopPrewarming();
}

async function main(): Promise<void> {
  const dist = path.resolve(process.env.BENCH_DIST ?? path.join(root, 'dist'));
  const distEntry = path.join(dist, 'conversion/index.js');
  if (!fs.existsSync(distEntry)) throw new Error(`${distEntry} is missing: run \`npm run build\` first`);
  // The compiled build, so conversion processes run dist/ JavaScript like production does.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const conversion = require(distEntry) as Conversion & Partial<SpareApi>;
  const spares = conversion.prewarmConversions && conversion.stopPrewarming ? (conversion as SpareApi) : null;
  const gsVersion = ghostscriptVersion();
  if (!gsVersion) process.stdout.write('Ghostscript is not installed: no baseline (apt-get install ghostscript).\n');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'durafax-bench-'));

  process.stdout.write('Making documents…\n');
  const jpeg = await photoJpeg();
  const photoPdf = await photoOnA4Pdf(jpeg);
  const docs: Doc[] = [
    { name: '1-page letter (PDF)', input: await letterPdf(1, 1) },
    { name: '10-page letter (PDF)', input: await letterPdf(10, 1) },
    { name: '50-page letter (PDF)', input: await letterPdf(50, 2) },
    { name: '12-megapixel photo (JPEG; gs: in a PDF)', input: jpeg, gsInput: photoPdf },
    { name: '12-megapixel photo in a PDF (both)', input: photoPdf },
  ];

  // The conversion's own CPU figure (builds from before) comes from its log line.
  let last: { cpuMs?: number } = {};
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { createLogger } = require(path.join(dist, 'log.js')) as typeof import('../src/log');
  const log = createLogger('bench', 'info', (line) => (last = JSON.parse(line) as typeof last));
  const convert = async (input: Buffer): Promise<number> => (await conversion.convertDocument(input, { paper: 'a4', logger: log })).pages;

  const rows: Row[] = [];
  for (const doc of docs) {
    process.stdout.write(`Converting ${doc.name}…\n`);
    const pdfPath = path.join(dir, 'input.pdf');
    const outPath = path.join(dir, 'out.tif');
    fs.writeFileSync(pdfPath, doc.gsInput ?? doc.input);
    const row: Row = { doc, pages: 0, gs: [], start: [], first: [], again: [] };
    for (let i = 0; i < RUNS; i++) {
      if (gsVersion) {
        const gs = await runGsOnce(pdfPath, outPath);
        row.gs.push({ cpu: gs.cpuMs, wall: gs.ms });
      }
      if (spares) await runSpare(spares, convert, () => last.cpuMs ?? NaN, doc, row);
      else await runKept(conversion, convert, doc, row);
    }
    rows.push(row);
  }
  fs.rmSync(dir, { recursive: true, force: true });
  report(dist, gsVersion, rows, spares !== null);
}

function report(dist: string, gsVersion: string | null, rows: Row[], spares: boolean): void {
  process.stdout.write(
    `\nBuild: ${dist}${spares ? ' (a warmed-up spare process per document)' : ''}\nMachine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'CPU'}, load average ${os.loadavg()[0].toFixed(1)}; ${RUNS} runs each.\n`,
  );
  if (gsVersion) process.stdout.write(`Baseline: Ghostscript ${gsVersion}, tiffg4 device at 204×196 dpi, the one-shot command.\n`);
  const f = (n: number): string => (Number.isFinite(n) ? n.toFixed(0) : '–');
  const ratio = (ours: number, gs: number): string => (Number.isFinite(gs) && gs > 0 ? `${(ours / gs).toFixed(2)}×` : '–');
  const cpuWall = (s: Sample[]): string => (s.length ? `${f(best(s, 'cpu'))} / ${f(median(s, 'cpu'))} (${f(best(s, 'wall'))})` : '–');
  const table = rows.map((r) => {
    const alone = sum(r.start, r.first);
    const gsCpu = r.gs.length ? best(r.gs, 'cpu') : NaN;
    return [
      r.doc.name,
      String(r.pages),
      cpuWall(r.gs),
      cpuWall(r.start),
      cpuWall(r.first),
      cpuWall(alone),
      ratio(best(alone, 'cpu'), gsCpu),
      cpuWall(r.again),
      r.again.length ? ratio(best(r.again, 'cpu'), gsCpu) : '–',
    ];
  });
  printTable(
    'CPU ms per document, best / median (best wall ms)',
    ['document', 'pages', 'gs one-shot', 'Durafax: process start', 'first document', 'start + first', 'vs gs', 'again, same process', 'vs gs'],
    table,
  );
  process.stdout.write(
    [
      '"vs gs": Durafax\'s best CPU over gs\'s best CPU for the same document (below 1× Durafax uses less).',
      'Process start: a conversion process started ahead of the document and ready (with a spare of an older build: its',
      'warm-up); first document: the document in it; start + first: one document alone, everything included; again: the',
      'same document in the same process (new MuPDF instances each time), as when uploads follow one another.',
      "Durafax also writes the carrier PDF, a PNG preview and a thumbnail per page. Ghostscript's page is 1687 × 2292",
      "pixels (A4 at 204×196 dpi), Durafax's 1728 × 2287 (the full scan line).",
    ].join('\n') + '\n',
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
