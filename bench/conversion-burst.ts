/**
 * Paid faxes during a burst of uploads: how long a payment takes to reach the carrier while
 * many documents wait to be converted.
 *
 * Run (builds first; the stack runs the compiled code in dist/, this script runs from source):
 *   npm run build && node -r ./src/conversion/child/register-ts.js bench/conversion-burst.ts
 * Settings (environment): BENCH_PAID (faxes paid during the burst, default 5), BENCH_BURST
 * (documents uploaded at once, default 60), BENCH_PAGES (pages of each, default 20),
 * BENCH_ROUNDS (default 2).
 *
 * Starts `durafax start` with one conversion at a time (`MAX_CONCURRENT_CONVERSIONS=1`, so a
 * burst makes a backlog on two cores), and in each round: uploads BENCH_PAID one-page letters
 * and waits for their quotes; uploads the burst (BENCH_BURST text letters of BENCH_PAGES pages,
 * all at once); as soon as the burst is accepted, pays the quoted faxes and times each from its
 * card payment to attempt 1 with the carrier (the API read every 20 ms). Also prints how long
 * the burst took to be quoted in full. A conversion waiting for its turn holds an activity slot
 * of the worker where it waits: with more waiting than the worker has slots, a payment's steps
 * wait behind them.
 */
import { performance } from 'node:perf_hooks';
import { RATE_KINDS } from '../src/config/rate-limits';
import { DELIVERED_NUMBER, FaxApi, handedToCarrier, ONE_PAGE_LETTER, payByCard, quoted, type CreatedFax } from './fax-client';
import { withStack } from './fax-stack';

const PAID = Number(process.env.BENCH_PAID ?? 5);
const BURST = Number(process.env.BENCH_BURST ?? 60);
const PAGES = Number(process.env.BENCH_PAGES ?? 20);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const POLL_MS = 20;
const LINES_PER_PAGE = 60;

/** A plain text letter of `pages` pages. */
function letter(pages: number): Buffer {
  const lines: string[] = [];
  for (let i = 0; i < pages * LINES_PER_PAGE; i++) lines.push(`Line ${i + 1}: the quick brown fox jumps over the lazy dog, and the fax goes out.`);
  return Buffer.from(`${lines.join('\n')}\n`);
}

const ms = (n: number): string => n.toFixed(0);
const sorted = (xs: number[]): number[] => [...xs].sort((a, b) => a - b);

async function round(api: FaxApi, burstDocument: Buffer): Promise<{ queued: number[]; burstQuotedMs: number }> {
  const paid: CreatedFax[] = [];
  for (let i = 0; i < PAID; i++) paid.push(await api.create(ONE_PAGE_LETTER, DELIVERED_NUMBER));
  const checkouts = await Promise.all(
    paid.map(async (fax) => {
      await api.waitFor(fax, 'the quote', quoted, POLL_MS);
      return api.checkout(fax);
    }),
  );

  const burstStart = performance.now();
  const burst = await Promise.all(Array.from({ length: BURST }, () => api.create(burstDocument, DELIVERED_NUMBER)));
  const burstQuoted = Promise.all(burst.map((fax) => api.waitFor(fax, 'the quote', quoted, 250, 600_000)));

  const queued = await Promise.all(
    paid.map(async (fax, i) => {
      const payment = await payByCard(checkouts[i]);
      await api.waitFor(fax, 'attempt 1 with the carrier', handedToCarrier, POLL_MS, 600_000);
      return performance.now() - payment.postedAt;
    }),
  );
  await burstQuoted;
  return { queued, burstQuotedMs: performance.now() - burstStart };
}

async function main(): Promise<void> {
  const env = {
    RATE_LIMITS: RATE_KINDS.map((kind) => `${kind}=10000000/1h`).join(','),
    MAX_CONCURRENT_UPLOADS: String(BURST + PAID),
    MAX_CONCURRENT_CONVERSIONS: '1',
  };
  const burstDocument = letter(PAGES);
  await withStack({ msPerPage: 0, env }, async (stack) => {
    const api = new FaxApi(stack.webUrl);
    process.stdout.write(`\n${PAID} faxes paid while ${BURST} letters of ${PAGES} pages convert, one at a time\n\n`);
    process.stdout.write('| round | payment → with the carrier, each (ms) | slowest | burst quoted in full |\n|---:|---|---:|---:|\n');
    for (let r = 1; r <= ROUNDS; r++) {
      const { queued, burstQuotedMs } = await round(api, burstDocument);
      const s = sorted(queued);
      process.stdout.write(`| ${r} | ${s.map(ms).join(', ')} | ${ms(s[s.length - 1])} | ${(burstQuotedMs / 1000).toFixed(1)} s |\n`);
    }
  });
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
