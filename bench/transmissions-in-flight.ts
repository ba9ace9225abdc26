/**
 * Many faxes on the line at once: how long each takes from its card payment to being delivered
 * and captured, when more transmissions are under way than the worker has activity slots.
 *
 * Run (builds first; the stack runs the compiled code in dist/, this script runs from source):
 *   npm run build && node -r ./src/conversion/child/register-ts.js bench/transmissions-in-flight.ts
 * Settings (environment): BENCH_FAXES (default 40), BENCH_MS_PER_PAGE (the carrier sandbox's
 * time per page, default 2000, as `npm start`), BENCH_ROUNDS (default 2).
 *
 * Starts `durafax start` with the carrier sandbox at BENCH_MS_PER_PAGE and everything else as
 * `npm start` has it (STATUS_POLL_INTERVAL 30 s, 20 activity slots in the worker). In each
 * round: uploads BENCH_FAXES one-page letters, waits for their quotes and opens their
 * checkouts, then pays them all at once and times each from its card payment to attempt 1 with
 * the carrier and to delivered and captured (the API read every 100 ms). The carrier's
 * webhooks tell each outcome; the watch that asks the carrier in case a webhook is lost runs
 * beside every transmission.
 */
import { performance } from 'node:perf_hooks';
import { RATE_KINDS } from '../src/config/rate-limits';
import { completed, DELIVERED_NUMBER, FaxApi, handedToCarrier, ONE_PAGE_LETTER, payByCard, quoted } from './fax-client';
import { percentile } from './fax-report';
import { withStack } from './fax-stack';

const FAXES = Number(process.env.BENCH_FAXES ?? 40);
const MS_PER_PAGE = Number(process.env.BENCH_MS_PER_PAGE ?? 2000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const POLL_MS = 100;

const s = (ms: number): string => (ms / 1000).toFixed(1);

async function round(api: FaxApi): Promise<{ carrier: number[]; done: number[] }> {
  const faxes = await Promise.all(Array.from({ length: FAXES }, () => api.create(ONE_PAGE_LETTER, DELIVERED_NUMBER)));
  const checkouts = await Promise.all(
    faxes.map(async (fax) => {
      await api.waitFor(fax, 'the quote', quoted, 250);
      return api.checkout(fax);
    }),
  );
  const carrier: number[] = [];
  const done: number[] = [];
  await Promise.all(
    faxes.map(async (fax, i) => {
      const payment = await payByCard(checkouts[i]);
      await api.waitFor(fax, 'attempt 1 with the carrier', handedToCarrier, POLL_MS, 600_000);
      carrier.push(performance.now() - payment.postedAt);
      await api.waitFor(fax, 'delivered and captured', completed, POLL_MS, 600_000);
      done.push(performance.now() - payment.postedAt);
    }),
  );
  return { carrier, done };
}

async function main(): Promise<void> {
  const env = {
    RATE_LIMITS: RATE_KINDS.map((kind) => `${kind}=10000000/1h`).join(','),
    MAX_CONCURRENT_UPLOADS: String(FAXES),
  };
  await withStack({ msPerPage: MS_PER_PAGE, env }, async (stack) => {
    const api = new FaxApi(stack.webUrl);
    process.stdout.write(`\n${FAXES} one-page faxes paid at once, the carrier sandbox at ${MS_PER_PAGE} ms a page\n\n`);
    process.stdout.write('| round | payment → with the carrier: p50 / max (s) | payment → delivered and captured: p50 / p90 / max (s) |\n|---:|---:|---:|\n');
    for (let r = 1; r <= ROUNDS; r++) {
      const { carrier, done } = await round(api);
      process.stdout.write(
        `| ${r} | ${s(percentile(carrier, 50))} / ${s(Math.max(...carrier))} | ${s(percentile(done, 50))} / ${s(percentile(done, 90))} / ${s(Math.max(...done))} |\n`,
      );
    }
  });
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
