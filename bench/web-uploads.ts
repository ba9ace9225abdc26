/**
 * The web process's memory under many large uploads at once: 50 concurrent 10 MB uploads
 * (`BENCH_UPLOADS`, `BENCH_UPLOAD_MB`), then 20 slow ones (`BENCH_SLOW`) that send their 10 MB
 * and then trickle a byte a second. Prints the web process's resident memory at rest, its
 * highest sampled value during each phase (every 50 ms, from /proc/<pid>/status) and 5 s
 * after, the answers' statuses and the time the fast phase took. Twice, each on a stack of
 * its own: with the default admission limit (MAX_CONCURRENT_UPLOADS=8, the others answered
 * 503), and with every upload admitted, which shows the upload path's own cost.
 * Run: `npm run build && node -r ./src/conversion/child/register-ts.js bench/web-uploads.ts`.
 */
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { memoryOf } from './fax-processes';
import { withStack } from './fax-stack';

const UPLOADS = Number(process.env.BENCH_UPLOADS ?? 50);
const SLOW = Number(process.env.BENCH_SLOW ?? 20);
const UPLOAD_MB = Number(process.env.BENCH_UPLOAD_MB ?? 10);
const SLOW_SECONDS = Number(process.env.BENCH_SLOW_SECONDS ?? 20);
const BOUNDARY = 'durafaxbenchboundary';

/** Random bytes: not a document, so the worker refuses each at once and the run measures the web alone. */
const DOCUMENT = randomBytes(UPLOAD_MB * 1024 * 1024);
const HEAD = Buffer.from(
  `--${BOUNDARY}\r\nContent-Disposition: form-data; name="to"\r\n\r\n+49 30 12345678\r\n` +
    `--${BOUNDARY}\r\nContent-Disposition: form-data; name="document"; filename="upload.pdf"\r\nContent-Type: application/pdf\r\n\r\n`,
);
const TAIL = Buffer.from(`\r\n--${BOUNDARY}--\r\n`);

/** The highest resident memory of `pid` seen while `during` runs, sampled every 50 ms. */
async function peakWhile<T>(pid: number, during: Promise<T>): Promise<{ value: T; peakMb: number }> {
  let peakMb = 0;
  let running = true;
  const sampler = (async () => {
    while (running) {
      peakMb = Math.max(peakMb, memoryOf(pid)?.rssMb ?? 0);
      await delay(50);
    }
  })();
  try {
    return { value: await during, peakMb };
  } finally {
    running = false;
    await sampler;
  }
}

interface Upload {
  answer: Promise<number>;
  abort(): void;
}

/** One upload of the document; `trickle` keeps it open afterwards, a byte a second, until aborted. */
function upload(url: URL, trickle: boolean): Upload {
  let timer: NodeJS.Timeout | undefined;
  const req = http.request({ host: url.hostname, port: url.port, path: '/api/faxes', method: 'POST', headers: { 'Content-Type': `multipart/form-data; boundary=${BOUNDARY}`, 'Transfer-Encoding': 'chunked' } });
  const answer = new Promise<number>((resolve) => {
    req.on('response', (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', () => resolve(0));
  });
  req.write(HEAD);
  req.write(DOCUMENT);
  if (trickle) timer = setInterval(() => req.write(Buffer.from(' ')), 1_000);
  else req.end(TAIL);
  return {
    answer,
    abort: () => {
      clearInterval(timer);
      req.destroy();
    },
  };
}

function tally(statuses: number[]): string {
  const counts = new Map<number, number>();
  for (const s of statuses) counts.set(s, (counts.get(s) ?? 0) + 1);
  return [...counts].map(([s, n]) => `${n} × ${s === 0 ? 'no answer' : s}`).join(', ');
}

interface Figures {
  rest: number;
  fast: { peakMb: number; statuses: number[]; seconds: number };
  slowPeakMb: number;
  after: number;
}

/** One run on a stack of its own: at rest, the concurrent uploads, the slow ones, and after. */
async function measure(admitted: number | null): Promise<Figures> {
  const env: Record<string, string> = { RATE_LIMITS: 'upload=100000/1h,uploadPerNumber=100000/1h,uploadGlobal=100000/1h' };
  if (admitted) env.MAX_CONCURRENT_UPLOADS = String(admitted);
  let figures: Figures | undefined;
  await withStack({ msPerPage: 0, env }, async (stack) => {
    const pid = stack.processes().web;
    if (!pid) throw new Error('no web process found');
    const url = new URL(stack.webUrl);
    // One upload first, so the figures do not include the first request's warm-up.
    await upload(url, false).answer;
    await delay(2_000);
    const rest = memoryOf(pid)?.rssMb ?? NaN;

    const started = Date.now();
    const fast = await peakWhile(pid, Promise.all(Array.from({ length: UPLOADS }, () => upload(url, false).answer)));
    const seconds = (Date.now() - started) / 1000;

    const slowUploads = Array.from({ length: SLOW }, () => upload(url, true));
    const slow = await peakWhile(pid, delay(SLOW_SECONDS * 1000));
    for (const u of slowUploads) u.abort();
    await Promise.all(slowUploads.map((u) => u.answer));
    await delay(5_000);
    figures = { rest, fast: { peakMb: fast.peakMb, statuses: fast.value, seconds }, slowPeakMb: slow.peakMb, after: memoryOf(pid)?.rssMb ?? NaN };
  });
  if (!figures) throw new Error('the run measured nothing');
  return figures;
}

async function main(): Promise<void> {
  const runs: Array<[string, Figures]> = [
    ['default admission (8 at once)', await measure(null)],
    [`every upload admitted (${UPLOADS + SLOW + 1})`, await measure(UPLOADS + SLOW + 1)],
  ];
  const mb = (v: number): string => `${v.toFixed(0)} MB`.padStart(8);
  process.stdout.write(`\nweb process resident memory; ${UPLOADS} concurrent uploads then ${SLOW} slow ones held ${SLOW_SECONDS} s, ${UPLOAD_MB} MB each\n\n`);
  process.stdout.write(`${'run'.padEnd(36)} ${'at rest'.padStart(8)} ${'peak, concurrent'.padStart(17)} ${'peak, slow'.padStart(11)} ${'5 s after'.padStart(10)}  answers to the concurrent uploads\n`);
  for (const [name, f] of runs) {
    process.stdout.write(
      `${name.padEnd(36)} ${mb(f.rest)} ${mb(f.fast.peakMb).padStart(17)} ${mb(f.slowPeakMb).padStart(11)} ${mb(f.after).padStart(10)}  ${tally(f.fast.statuses)} in ${f.fast.seconds.toFixed(1)} s\n`,
    );
  }
  for (const [name, f] of runs) process.stdout.write(`${name}: uploads add ${(Math.max(f.fast.peakMb, f.slowPeakMb) - f.rest).toFixed(0)} MB to the process at rest\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
