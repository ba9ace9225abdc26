/**
 * The API under load: 100 clients at once for 60 s (LOAD_CLIENTS, LOAD_SECONDS) against the
 * stack as `durafax start` runs it, each looping over creating a fax, reading and cancelling
 * its own, and the health endpoints (test/helpers/load.ts has the mix). Prints the answers by
 * kind and status, p50 and p99, the 5xx count (the goal is 0), and the web's memory before,
 * at its peak and after.
 *
 *   npm run build && node -r ./src/conversion/child/register-ts.js bench/load.ts
 */
import { RATE_KINDS } from '../src/config/rate-limits';
import { runLoad, type LoadKind } from '../test/helpers/load';
import { DELIVERED_NUMBER, ONE_PAGE_LETTER } from './fax-client';
import { memoryOf } from './fax-processes';
import { withStack } from './fax-stack';

const clients = Number(process.env.LOAD_CLIENTS ?? 100);
const seconds = Number(process.env.LOAD_SECONDS ?? 60);

/** When the web's memory is read again after the load. */
const SETTLE_SECONDS = [5, 15, 30];

const mb = (n: number | undefined): string => (n === undefined ? '-' : n.toFixed(0));

async function main(): Promise<void> {
  // The limits are sized for the load: every client comes from one address, and the upload
  // gate would otherwise turn most creates away (503 by design) before the web is tested.
  const env = {
    RATE_LIMITS: RATE_KINDS.map((kind) => `${kind}=10000000/1h`).join(','),
    MAX_CONCURRENT_UPLOADS: String(clients),
  };
  await withStack({ msPerPage: 0, env }, async (stack) => {
    const web = stack.processes().web;
    if (!web) throw new Error('no web process found');
    const before = memoryOf(web);
    let peak = before?.rssMb ?? 0;
    const sampler = setInterval(() => (peak = Math.max(peak, memoryOf(web)?.rssMb ?? 0)), 500);
    const result = await runLoad({ baseUrl: stack.webUrl, clients, durationMs: seconds * 1000, document: ONE_PAGE_LETTER, to: DELIVERED_NUMBER });
    clearInterval(sampler);
    const after = memoryOf(web);
    // How it settles once idle: the web trims its memory after 10 s with its event loop quiet.
    const settled: Array<number | undefined> = [];
    let waited = 0;
    for (const s of SETTLE_SECONDS) {
      await new Promise((r) => setTimeout(r, (s - waited) * 1000));
      waited = s;
      settled.push(memoryOf(web)?.rssMb);
    }

    process.stdout.write(`\n${clients} clients, ${seconds} s: ${result.requests} requests (${result.perSecond.toFixed(0)}/s)\n\n`);
    process.stdout.write('| kind | requests | p50 ms | p99 ms | statuses |\n|---|---:|---:|---:|---|\n');
    for (const kind of Object.keys(result.byKind) as LoadKind[]) {
      const k = result.byKind[kind];
      const statuses = Object.entries(k.statuses)
        .map(([s, n]) => `${s === '0' ? 'no answer' : s} ${n}`)
        .join(', ');
      process.stdout.write(`| ${kind} | ${k.count} | ${k.p50Ms.toFixed(1)} | ${k.p99Ms.toFixed(1)} | ${statuses} |\n`);
    }
    process.stdout.write(`| all | ${result.requests} | ${result.all.p50Ms.toFixed(1)} | ${result.all.p99Ms.toFixed(1)} | |\n\n`);
    const decisions = Object.entries(result.cancelDecisions).map(([d, n]) => `${d} ${n}`);
    process.stdout.write(`cancels answered 202, by the workflow's decision: ${decisions.join(', ') || 'none'}\n`);
    process.stdout.write(`5xx answers: ${result.serverErrors}; no answer: ${result.noAnswer}\n`);
    const later = SETTLE_SECONDS.map((s, i) => `${s} s later ${mb(settled[i])}`).join(', ');
    process.stdout.write(`web RSS MiB: before ${mb(before?.rssMb)}, peak ${mb(peak)}, after ${mb(after?.rssMb)}, ${later}\n`);
    process.exitCode = result.serverErrors === 0 && result.noAnswer === 0 ? 0 : 1;
  });
}

main().catch((err: unknown) => {
  process.stderr.write(`load bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
