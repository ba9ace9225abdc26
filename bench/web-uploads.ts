/**
 * The web process's memory under many large uploads at once: 50 concurrent 10 MB uploads
 * (`BENCH_UPLOADS`, `BENCH_UPLOAD_MB`), then 20 slow ones (`BENCH_SLOW`) that send their 10 MB
 * and then trickle a byte a second. Prints the web process's resident memory at rest before
 * any upload (`BENCH_IDLE_SECONDS` after start) and 2 s after a first upload, its highest
 * sampled value during each phase (every 50 ms, from /proc/<pid>/status) and 5 s after, the
 * kernel's high-water mark (VmHWM, which no sampling misses), the answers' statuses and the
 * time the fast phase took. Then checks what the answers promised: every upload answered 201
 * is in PostgreSQL whole (its size, and the SHA-256 PostgreSQL computes over the stored bytes),
 * and every 503 carries Retry-After; exits 1 otherwise. Twice, each on a stack of its own: with
 * the default admission limit (MAX_CONCURRENT_UPLOADS=8, the others answered 503), and with
 * every upload admitted, which shows the upload path's own cost.
 * Run: `npm run build && node -r ./src/conversion/child/register-ts.js bench/web-uploads.ts`.
 */
import http from 'node:http';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import { Client as PgClient } from 'pg';
import { memoryOf } from './fax-processes';
import { withStack } from './fax-stack';

const UPLOADS = Number(process.env.BENCH_UPLOADS ?? 50);
const SLOW = Number(process.env.BENCH_SLOW ?? 20);
const UPLOAD_MB = Number(process.env.BENCH_UPLOAD_MB ?? 10);
const SLOW_SECONDS = Number(process.env.BENCH_SLOW_SECONDS ?? 20);
const IDLE_SECONDS = Number(process.env.BENCH_IDLE_SECONDS ?? 10);
const BOUNDARY = 'durafaxbenchboundary';

/** Random bytes: not a document, so the worker refuses each at once and the run measures the web alone. */
const DOCUMENT = randomBytes(UPLOAD_MB * 1024 * 1024);
const DOCUMENT_SHA256 = createHash('sha256').update(DOCUMENT).digest('hex');
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

interface Answer {
  /** 0: no answer (the connection ended first). */
  status: number;
  retryAfter: string | undefined;
  /** The fax made, for a 201. */
  faxId: string | undefined;
}

interface Upload {
  answer: Promise<Answer>;
  abort(): void;
}

/** One upload of the document; `trickle` keeps it open afterwards, a byte a second, until aborted. */
function upload(url: URL, trickle: boolean): Upload {
  let timer: NodeJS.Timeout | undefined;
  const req = http.request({
    host: url.hostname,
    port: url.port,
    path: '/api/faxes',
    method: 'POST',
    headers: { 'Content-Type': `multipart/form-data; boundary=${BOUNDARY}`, 'Transfer-Encoding': 'chunked' },
  });
  const answer = new Promise<Answer>((resolve) => {
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      const done = (): void => {
        let faxId: string | undefined;
        try {
          faxId = res.statusCode === 201 ? (JSON.parse(body) as { id?: string }).id : undefined;
        } catch {
          faxId = undefined;
        }
        resolve({ status: res.statusCode ?? 0, retryAfter: res.headers['retry-after'], faxId });
      };
      res.on('end', done);
      res.on('error', done);
    });
    req.on('error', () => resolve({ status: 0, retryAfter: undefined, faxId: undefined }));
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

function tally(answers: Answer[]): string {
  const counts = new Map<number, number>();
  for (const a of answers) counts.set(a.status, (counts.get(a.status) ?? 0) + 1);
  return [...counts]
    .sort(([a], [b]) => a - b)
    .map(([s, n]) => `${n} × ${s === 0 ? 'no answer' : s}`)
    .join(', ');
}

/** The web's command line: which Node flags it runs with. */
function commandOf(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).slice(1).join(' ');
  } catch {
    return '?';
  }
}

interface Stored {
  whole: number;
  /** Faxes answered 201 whose document is missing, short or not the bytes sent. */
  broken: string[];
}

/** Every fax answered 201 has its document in PostgreSQL, whole: size and SHA-256 of the stored bytes. */
async function checkStored(databaseUrl: string, faxIds: string[]): Promise<Stored> {
  const db = new PgClient({ connectionString: databaseUrl });
  await db.connect();
  try {
    const stored: Stored = { whole: 0, broken: [] };
    for (const id of faxIds) {
      const { rows } = await db.query<{ size: number; sha256: string; actual: string | null; bytes: number | null }>(
        `SELECT size, sha256, encode(sha256(data), 'hex') AS actual, octet_length(data) AS bytes
           FROM document WHERE fax_id = $1 AND kind = 'original' AND page = 0`,
        [id],
      );
      const row = rows[0];
      const whole = row && row.size === DOCUMENT.length && row.bytes === DOCUMENT.length && row.sha256 === DOCUMENT_SHA256 && row.actual === DOCUMENT_SHA256;
      if (whole) stored.whole++;
      else stored.broken.push(id);
    }
    return stored;
  } finally {
    await db.end();
  }
}

interface Figures {
  command: string;
  rest: number;
  afterFirst: number;
  fast: { peakMb: number; answers: Answer[]; seconds: number };
  slowPeakMb: number;
  slowAnswers: Answer[];
  after: number;
  /** VmHWM: the highest resident memory since the web started. */
  highWater: number;
  stored: Stored;
  /** 503 answers without Retry-After. */
  busyWithoutRetry: number;
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
    await delay(IDLE_SECONDS * 1000);
    const rest = memoryOf(pid)?.rssMb ?? NaN;
    // One upload first: the figures below do not include the first request's warm-up.
    const first = await upload(url, false).answer;
    await delay(2_000);
    const afterFirst = memoryOf(pid)?.rssMb ?? NaN;

    const started = Date.now();
    const fast = await peakWhile(pid, Promise.all(Array.from({ length: UPLOADS }, () => upload(url, false).answer)));
    const seconds = (Date.now() - started) / 1000;

    const slowUploads = Array.from({ length: SLOW }, () => upload(url, true));
    const slow = await peakWhile(pid, delay(SLOW_SECONDS * 1000));
    for (const u of slowUploads) u.abort();
    const slowAnswers = await Promise.all(slowUploads.map((u) => u.answer));
    await delay(5_000);
    const after = memoryOf(pid) ?? { rssMb: NaN, peakMb: NaN };

    const answered = [first, ...fast.value, ...slowAnswers];
    const created = answered.filter((a) => a.status === 201);
    const stored = await checkStored(
      stack.databaseUrl,
      created.map((a) => a.faxId ?? '(no id in the answer)'),
    );
    figures = {
      command: commandOf(pid),
      rest,
      afterFirst,
      fast: { peakMb: fast.peakMb, answers: fast.value, seconds },
      slowPeakMb: slow.peakMb,
      slowAnswers,
      after: after.rssMb,
      highWater: after.peakMb,
      stored,
      busyWithoutRetry: answered.filter((a) => a.status === 503 && !a.retryAfter).length,
    };
  });
  if (!figures) throw new Error('the run measured nothing');
  return figures;
}

async function main(): Promise<void> {
  const runs: Array<[string, Figures]> = [
    ['default admission (8 at once)', await measure(null)],
    [`every upload admitted (${UPLOADS + SLOW + 1})`, await measure(UPLOADS + SLOW + 1)],
  ];
  const mb = (v: number): string => `${v.toFixed(0)} MB`;
  const columns: Array<[string, (f: Figures) => string]> = [
    ['at rest', (f) => mb(f.rest)],
    ['after 1 upload', (f) => mb(f.afterFirst)],
    ['peak, concurrent', (f) => mb(f.fast.peakMb)],
    ['peak, slow', (f) => mb(f.slowPeakMb)],
    ['5 s after', (f) => mb(f.after)],
    ['VmHWM', (f) => mb(f.highWater)],
  ];
  const out = (line: string): boolean => process.stdout.write(`${line}\n`);
  out(`\nweb process resident memory; ${UPLOADS} concurrent uploads then ${SLOW} slow ones held ${SLOW_SECONDS} s, ${UPLOAD_MB} MB each`);
  out(`web: node ${runs[0][1].command}\n`);
  out(`${'run'.padEnd(36)} ${columns.map(([name]) => name.padStart(Math.max(8, name.length))).join(' ')}`);
  for (const [name, f] of runs) out(`${name.padEnd(36)} ${columns.map(([col, value]) => value(f).padStart(Math.max(8, col.length))).join(' ')}`);
  out('');
  let failed = false;
  for (const [name, f] of runs) {
    out(`${name}: the concurrent uploads ${tally(f.fast.answers)} in ${f.fast.seconds.toFixed(1)} s; the slow ones ${tally(f.slowAnswers)}`);
    out(`  uploads add ${(Math.max(f.fast.peakMb, f.slowPeakMb) - f.rest).toFixed(0)} MB to the process at rest`);
    out(
      `  answered 201 and stored whole: ${f.stored.whole} of ${f.stored.whole + f.stored.broken.length}${f.stored.broken.length ? ` — NOT WHOLE: ${f.stored.broken.join(', ')}` : ''}`,
    );
    if (f.busyWithoutRetry) out(`  ${f.busyWithoutRetry} answers 503 WITHOUT Retry-After`);
    failed ||= f.stored.broken.length > 0 || f.busyWithoutRetry > 0;
  }
  if (failed) process.exitCode = 1;
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
