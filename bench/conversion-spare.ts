/**
 * The spare conversion process: started when an upload begins, or kept ready. What a document
 * waits for its first page either way, and what a waiting process holds.
 *
 * Run (builds first, so the conversion processes run the compiled code in dist/):
 *   npm run build && node -r ./src/conversion/child/register-ts.js bench/conversion-spare.ts
 *
 * For a 1-page and a 10-page letter and a 12-megapixel photo (JPEG), each run measures wall
 * time from the document being handed to the conversion to its first page, and to its last:
 * - kept: a process that has been ready for a while, and has converted a document before
 *   (what a kept spare is after the first upload);
 * - started on upload: conversionImminent() as the upload begins, the document handed over
 *   BENCH_UPLOAD_MS later (default 0 and 300: an upload on the same machine, and a short one
 *   over the internet);
 * - no spare: the document starts its own process.
 * Then the resident memory of a process: ready and never used, and idle after each document
 * (its instances freed), sampled 1 s after the answer. Best and median of BENCH_RUNS (default 5).
 * BENCH_DIST measures another build; one from before processes were kept has a warmed-up spare
 * per document (prewarmConversions) as its "kept", and no "started on upload".
 */
import fs from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import { setTimeout as delay } from 'node:timers/promises';
import { letterPdf, photoJpeg } from './conversion-documents';
import { childrenOf, memoryOf } from './fax-processes';
import { printTable } from './fax-report';

type Conversion = typeof import('../src/conversion');
/** The API of builds from before conversion processes served several documents. */
interface SpareApi {
  prewarmConversions(): Promise<void>;
  stopPrewarming(): void;
}

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const UPLOAD_MS = (process.env.BENCH_UPLOAD_MS ?? '0,300').split(',').map(Number);
const root = path.resolve(__dirname, '..');

interface Timing {
  first: number;
  last: number;
}

function conversionPids(): number[] {
  return childrenOf(process.pid).filter((p) => {
    try {
      return fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(`conversion${path.sep}child${path.sep}main`);
    } catch {
      return false;
    }
  });
}

const rssMb = (): number => conversionPids().reduce((sum, pid) => sum + (memoryOf(pid)?.rssMb ?? 0), 0);

type Logger = Parameters<Conversion['convertDocument']>[1]['logger'];

async function timed(conversion: Conversion, logger: Logger, input: Buffer, handedAt: number): Promise<Timing> {
  let first = NaN;
  await conversion.convertDocument(input, {
    paper: 'a4',
    logger,
    onProgress: () => {
      if (Number.isNaN(first)) first = performance.now() - handedAt;
    },
  });
  return { first, last: performance.now() - handedAt };
}

const best = (xs: number[]): number => Math.min(...xs);
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const f = (xs: number[]): string => `${best(xs).toFixed(0)} / ${median(xs).toFixed(0)}`;

async function main(): Promise<void> {
  const dist = path.resolve(process.env.BENCH_DIST ?? path.join(root, 'dist'));
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const conversion = require(path.join(dist, 'conversion/index.js')) as Conversion;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const silent = (require(path.join(dist, 'log.js')) as typeof import('../src/log')).silentLogger;
  // A build from before processes were kept: a warmed-up spare (prewarmConversions) is its "kept".
  const older = (conversion as unknown as Partial<SpareApi>).prewarmConversions ? (conversion as unknown as SpareApi) : null;
  const keep = (): Promise<void> => {
    if (older) return older.prewarmConversions();
    conversion.keepConversionProcesses({ idleMs: 600_000 });
    return conversion.conversionImminent();
  };
  const stop = (): void => (older ? older.stopPrewarming() : conversion.stopConversionProcesses());

  process.stdout.write('Making documents…\n');
  const docs: Array<[string, Buffer]> = [
    ['1-page letter (PDF)', await letterPdf(1, 1)],
    ['10-page letter (PDF)', await letterPdf(10, 1)],
    ['12-megapixel photo (JPEG)', await photoJpeg()],
  ];
  const modes = ['kept', ...(older ? [] : UPLOAD_MS.map((ms) => `started on upload, document after ${ms} ms`)), 'no spare'];
  const results = new Map<string, { first: number[]; last: number[] }>();
  const readyMs: number[] = [];
  const readyRss: number[] = [];
  const idleRss = new Map<string, number[]>();

  for (let run = 0; run < RUNS; run++) {
    for (const [name, input] of docs) {
      process.stdout.write(`Run ${run + 1}: ${name}…\n`);
      for (const mode of modes) {
        const key = `${name}\t${mode}`;
        const entry = results.get(key) ?? { first: [], last: [] };
        results.set(key, entry);
        let timing: Timing;
        if (mode === 'no spare') {
          stop();
          timing = await timed(conversion, silent, input, performance.now());
        } else if (mode === 'kept') {
          const started = performance.now();
          await keep();
          readyMs.push(performance.now() - started);
          await delay(1_000);
          readyRss.push(rssMb());
          // A kept spare has served a document before the next one comes (an older build's
          // spare is replaced by a new warmed-up one, waited for here).
          await timed(conversion, silent, input, performance.now());
          if (older) await older.prewarmConversions();
          await delay(1_000);
          const idle = idleRss.get(name) ?? [];
          idle.push(rssMb());
          idleRss.set(name, idle);
          timing = await timed(conversion, silent, input, performance.now());
          stop();
        } else {
          const uploadMs = Number(/after (\d+) ms/.exec(mode)?.[1]);
          conversion.keepConversionProcesses({ idleMs: 600_000 });
          void conversion.conversionImminent();
          await delay(uploadMs);
          timing = await timed(conversion, silent, input, performance.now());
          conversion.stopConversionProcesses();
        }
        entry.first.push(timing.first);
        entry.last.push(timing.last);
        await delay(200);
      }
    }
  }

  process.stdout.write(`\nBuild: ${dist}\nMachine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'CPU'}, load average ${os.loadavg()[0].toFixed(1)}; ${RUNS} runs.\n`);
  printTable(
    'Wall ms from the document handed over, best / median',
    ['document', 'process', 'first page', 'all pages'],
    [...results].map(([key, r]) => [...key.split('\t'), f(r.first), f(r.last)]),
  );
  printTable(
    'A waiting process',
    ['measure', 'best / median'],
    [
      ['conversionImminent() → ready (ms)', f(readyMs)],
      ['RSS, ready and never used (MiB)', f(readyRss)],
      ...[...idleRss].map(([name, xs]) => [`RSS, idle 1 s after a ${name} (MiB)`, f(xs)]),
    ],
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
