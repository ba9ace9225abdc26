/**
 * Photo-heavy PDFs through a build's conversion processes, the way a worker runs them (a
 * process started ahead of each document): wall time and the process's peak resident memory.
 * For checking that decoding a PDF's photos with libjpeg-turbo keeps memory bounded over many
 * pages and uses every thread. Not part of npm test.
 *
 *   npm run build
 *   node -r ./src/conversion/child/register-ts.js bench/photo-pages.ts [pages…]
 */
import path from 'node:path';
import { PDFDocument, degrees } from 'pdf-lib';
import { photoJpeg } from './conversion-documents';

type Conversion = typeof import('../src/conversion');

const RUNS = Number(process.env.BENCH_RUNS ?? 3);

/** The photo once per page, each page its own image object (as a scanner or a phone app writes them), landscape turned on A4. */
async function photoPages(jpeg: Buffer, pages: number): Promise<Buffer> {
  const doc = await PDFDocument.create();
  for (let i = 0; i < pages; i++) {
    const image = await doc.embedJpg(jpeg);
    const page = doc.addPage([595.28, 841.89]);
    page.drawImage(image, { x: 567, y: 30, width: 780, height: 540, rotate: degrees(90) });
  }
  return Buffer.from(await doc.save());
}

async function main(): Promise<void> {
  const dist = path.resolve(process.env.BENCH_DIST ?? 'dist');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const conversion = require(path.join(dist, 'conversion/index.js')) as Conversion;
  let last: { peakRssMb?: number; cpuMs?: number } = {};
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { createLogger } = require(path.join(dist, 'log.js')) as typeof import('../src/log');
  const log = createLogger('bench', 'info', (line) => (last = JSON.parse(line) as typeof last));
  const jpeg = await photoJpeg();
  const counts = process.argv.slice(2).map(Number);
  process.stdout.write(`Build: ${dist}\n`);
  for (const pages of counts.length > 0 ? counts : [1, 4, 12]) {
    const input = await photoPages(jpeg, pages);
    const times: number[] = [];
    const cpu: number[] = [];
    let peak = 0;
    for (let run = 0; run < RUNS; run++) {
      // A process started ahead of the document, as the worker starts one when an upload begins.
      conversion.keepConversionProcesses();
      await conversion.conversionImminent();
      const started = performance.now();
      const result = await conversion.convertDocument(input, { paper: 'a4', logger: log, limits: { maxBytes: 200 * 1024 * 1024 } });
      times.push(performance.now() - started);
      conversion.stopConversionProcesses();
      if (result.pages !== pages) throw new Error(`expected ${pages} pages, got ${result.pages}`);
      cpu.push(last.cpuMs ?? NaN);
      peak = Math.max(peak, last.peakRssMb ?? 0);
    }
    process.stdout.write(
      `${String(pages).padStart(3)} photo pages (${(input.length / 2 ** 20).toFixed(0)} MB): best ${Math.min(...times).toFixed(0)} ms, ${(Math.min(...times) / pages).toFixed(0)} ms a page, CPU ${Math.min(...cpu)} ms, peak RSS ${peak} MB\n`,
    );
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
