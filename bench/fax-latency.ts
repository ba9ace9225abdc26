/**
 * API latency of the fax flow, side by side with its floors, in one run against one stack.
 *
 * Run (builds first; the stack runs the compiled code in dist/, this script runs from source):
 *   npm run build && node -r ./src/conversion/child/register-ts.js bench/fax-latency.ts
 * Settings (environment): BENCH_FAXES (default 100), BENCH_POLL_MS (default 10).
 *
 * Starts `durafax start` on free loopback ports with a throwaway data folder and the carrier
 * sandbox at its fastest (SANDBOX_MS_PER_PAGE=0), then, one sender at a time:
 *  - floors: `GET /healthz` (the web's bare round trip), `GET /api/faxes/:id` (a token check
 *    and two reads), and the engine's bare workflow start→complete with no activity and with
 *    one empty activity (a worker in this process, on the same engine);
 *  - for each fax: `POST /api/faxes` with a one-page text letter, then create→quote (the API
 *    shows awaiting_payment with a price; includes the conversion), the checkout asked for
 *    (POST /api/faxes/:id/checkout, not timed), the card POST on the sandbox's checkout page, payment→queued (from sending the card until
 *    the API shows attempt 1 with the carrier) and payment→delivered and captured.
 * The API is polled every BENCH_POLL_MS, so the flow figures carry that much resolution.
 * Stops everything and deletes its data when done (or on Ctrl-C). About two minutes.
 */
import { performance } from 'node:perf_hooks';
import { startBaselineEngine } from './fax-baseline';
import { completed, DELIVERED_NUMBER, FaxApi, handedToCarrier, ONE_PAGE_LETTER, payByCard, quoted, type CreatedFax } from './fax-client';
import { latencyRow, note, printTable } from './fax-report';
import { withStack } from './fax-stack';

const FAXES = Number(process.env.BENCH_FAXES ?? 100);
const POLL_MS = Number(process.env.BENCH_POLL_MS ?? 10);
const FLOOR_ROUNDS = 200;
const WORKFLOW_ROUNDS = 100;
const WARMUP = 5;

interface FaxTimes {
  post: number;
  quote: number;
  card: number;
  queued: number;
  done: number;
}

/** One fax from upload to delivery, one step after the other, as a single sender. */
async function oneFax(api: FaxApi): Promise<{ fax: CreatedFax; times: FaxTimes }> {
  const start = performance.now();
  const fax = await api.create(ONE_PAGE_LETTER, DELIVERED_NUMBER);
  const post = performance.now() - start;
  await api.waitFor(fax, 'the quote', quoted, POLL_MS);
  const quote = performance.now() - start;
  const paid = await payByCard(await api.checkout(fax));
  await api.waitFor(fax, 'attempt 1 with the carrier', handedToCarrier, POLL_MS);
  const queued = performance.now() - paid.postedAt;
  await api.waitFor(fax, 'delivery and capture', completed, POLL_MS);
  const done = performance.now() - paid.postedAt;
  return { fax, times: { post, quote, card: paid.answeredAt - paid.postedAt, queued, done } };
}

async function repeat(rounds: number, step: () => Promise<number>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < rounds; i++) out.push(await step());
  return out;
}

async function timed(step: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await step();
  return performance.now() - start;
}

async function main(): Promise<void> {
  note(`fax flow latency: ${FAXES} faxes one after the other, API polled every ${POLL_MS} ms, carrier sandbox at 0 ms per page`);
  await withStack({ msPerPage: 0 }, async (stack) => {
    const api = new FaxApi(stack.webUrl);
    note('warming up…');
    let sample: CreatedFax | undefined;
    for (let i = 0; i < WARMUP; i++) sample = (await oneFax(api)).fax;
    const known = sample!;

    note('floors…');
    const healthz = await repeat(FLOOR_ROUNDS, () => timed(() => api.healthz()));
    const read = await repeat(FLOOR_ROUNDS, () => timed(() => api.read(known)));
    const engine = await startBaselineEngine(stack.temporalAddress);
    let empty: number[];
    let oneActivity: number[];
    try {
      await repeat(WARMUP, () => engine.oneActivityWorkflow());
      empty = await repeat(WORKFLOW_ROUNDS, () => engine.emptyWorkflow());
      oneActivity = await repeat(WORKFLOW_ROUNDS, () => engine.oneActivityWorkflow());
    } finally {
      await engine.stop();
    }

    note(`${FAXES} faxes…`);
    const times: FaxTimes[] = [];
    for (let i = 0; i < FAXES; i++) times.push((await oneFax(api)).times);
    const column = (key: keyof FaxTimes): number[] => times.map((t) => t[key]);

    printTable(
      'Latency (ms)',
      ['measure', 'n', 'p50', 'p99', 'max'],
      [
        latencyRow('floor: GET /healthz', healthz),
        latencyRow('floor: GET /api/faxes/:id', read),
        latencyRow('floor: engine, empty workflow start→complete', empty),
        latencyRow('floor: engine, one-activity workflow start→complete', oneActivity),
        latencyRow('POST /api/faxes → 201', column('post')),
        latencyRow('create → quote (awaiting_payment, price)', column('quote')),
        latencyRow('card POST → 303 (Stripe sandbox page)', column('card')),
        latencyRow('payment → attempt 1 queued at the carrier', column('queued')),
        latencyRow('payment → delivered and captured', column('done')),
      ],
    );
  });
}

main().catch((err: unknown) => {
  process.stderr.write(`fax latency bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
