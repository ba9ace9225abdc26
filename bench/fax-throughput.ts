/**
 * Throughput of the whole fax flow, CPU time per fax, and the memory of each process at rest
 * and after the run — side by side with the engine's bare workflow throughput and the memory
 * of a bare Node process.
 *
 * Run (builds first; the stack runs the compiled code in dist/, this script runs from source):
 *   npm run build && node -r ./src/conversion/child/register-ts.js bench/fax-throughput.ts
 * Settings (environment): BENCH_FAXES (default 1000), BENCH_CLIENTS (default 8),
 * BENCH_POLL_MS (default 250), BENCH_REST_MS (default 30000), BENCH_IDLE_MS (default 45000),
 * BENCH_KEEP_LOG (a file to keep the stack's output in).
 *
 * Starts `durafax start` on free loopback ports with a throwaway data folder and the carrier
 * sandbox at its fastest (SANDBOX_MS_PER_PAGE=0). BENCH_CLIENTS senders each upload a
 * one-page text letter, read the API every BENCH_POLL_MS until the quote shows (as a status
 * page would), pay on the Stripe sandbox's checkout page and go on to the next fax, until
 * BENCH_FAXES are paid; the faxes finish behind them. A watcher counts the faxes delivered
 * and captured in PostgreSQL (the read model) every 250 ms. Throughput is faxes completed per
 * minute, over the whole run and over its middle 80 %.
 * CPU: user + system time of each process (and its children) over the run, per fax.
 * Memory: VmRSS and PSS of `durafax start` itself (with the sandboxes and the Temporal UI
 * inside it), the web, the worker (and apart, its conversion processes) and the engine from
 * /proc, at rest before the first fax (BENCH_REST_MS after the stack is ready: past each
 * process's first trim once idle after its start, src/memory-trim.ts), once the last one completed, and after idling
 * BENCH_IDLE_MS (default 45 s, past the conversion process's idle time), with each process's
 * RSS every 15 s of that idle time in a table of its own; VmHWM is each process's peak; their
 * sum beside the targets. PostgreSQL's processes share their buffers:
 * their PSS is summed instead. Every fax workflow stays open after delivery (the documents'
 * retention timer), as in production, so this is the memory of 1,000 live faxes.
 * The baseline, after the faxes, on the same engine: empty workflows and one-activity
 * workflows started and completed by as many concurrent clients.
 * Stops everything and deletes its data when done (or on Ctrl-C).
 * Time: every fax costs about 0.85 s of CPU (over half of it in its conversion process), so
 * on two cores 1,000 faxes take 7–9 minutes; BENCH_FAXES=300 runs in about 3.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import { startBaselineEngine } from './fax-baseline';
import { DELIVERED_NUMBER, FaxApi, ONE_PAGE_LETTER, payByCard, quoted } from './fax-client';
import { pool } from './fax-pool';
import { reached, serverTimes, watchCompletions, type Snapshot } from './fax-read-model';
import { latencyRow, note, printTable } from './fax-report';
import { RATE_KINDS } from '../src/config/rate-limits';
import { withStack } from './fax-stack';
import type { Memory } from './fax-processes';
import { bareNodeMemory, cpuNow, memoryNow, sumMb } from './fax-usage';

const FAXES = Number(process.env.BENCH_FAXES ?? 1000);
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 8);
const POLL_MS = Number(process.env.BENCH_POLL_MS ?? 250);
const WATCH_MS = 250;
/** How long the stack idles after the run before its memory is read again: past the conversion process's idle time. */
const IDLE_MS = Number(process.env.BENCH_IDLE_MS ?? 45_000);
/** How often the memory is read while the stack idles after the run. */
const SETTLE_STEP_MS = 15_000;
/** How long the stack rests after "ready" before its memory at rest is read. */
const REST_MS = Number(process.env.BENCH_REST_MS ?? 30_000);
/** The memory targets for each process at rest, and for all of them together (MiB). */
const TARGET_MB: Record<string, number> = { web: 60, worker: 150, engine: 60, all: 350 };
const BASELINE_WORKFLOWS = 1000;
/** How long the last faxes may take to finish once every fax is paid. */
const DRAIN_TIMEOUT_MS = 120_000;

const perMinute = (count: number, ms: number): string => (ms > 0 ? ((count / ms) * 60_000).toFixed(0) : '–');
const mb = (value: number | undefined): string => (value === undefined || !Number.isFinite(value) ? '–' : value.toFixed(0));

/** Workflows per minute for `count` runs of `run` on CLIENTS concurrent clients. */
async function workflowsPerMinute(count: number, run: () => Promise<number>): Promise<string> {
  const start = performance.now();
  await pool(count, CLIENTS, async () => {
    await run();
  });
  return perMinute(count, performance.now() - start);
}

async function main(): Promise<void> {
  note(`fax throughput: ${FAXES} faxes, ${CLIENTS} concurrent senders, carrier sandbox at 0 ms per page`);
  const bareNode = await bareNodeMemory();
  // Every sender comes from one address: the rate limits and the upload gate are raised to the
  // load, or most uploads would be refused (429, 503 by design) before the flow is measured.
  const env = { RATE_LIMITS: RATE_KINDS.map((kind) => `${kind}=10000000/1h`).join(','), MAX_CONCURRENT_UPLOADS: String(CLIENTS) };
  await withStack({ msPerPage: 0, env }, async (stack) => {
    const api = new FaxApi(stack.webUrl);
    await delay(REST_MS);
    const atRest = memoryNow(stack);

    note(`${FAXES} faxes…`);
    const watcher = watchCompletions(stack.databaseUrl, WATCH_MS);
    const cpuBefore = cpuNow(stack);
    const start = performance.now();
    let paid = 0;
    const senderErrors: string[] = [];
    const progress = setInterval(() => {
      const s = watcher.latest();
      note(`  ${((performance.now() - start) / 1000).toFixed(0)} s: ${paid} paid, ${s.done} completed${s.failed ? `, ${s.failed} failed` : ''}`);
    }, 30_000);
    let allPaid = NaN;
    let drained: Snapshot;
    try {
      await pool(FAXES, CLIENTS, async () => {
        try {
          const fax = await api.create(ONE_PAGE_LETTER, DELIVERED_NUMBER);
          await api.waitFor(fax, 'the quote', quoted, POLL_MS);
          await payByCard(await api.checkout(fax));
          paid++;
        } catch (err) {
          // One sender's bad luck is a figure of the run, not the end of it.
          senderErrors.push(err instanceof Error ? err.message : String(err));
        }
      });
      allPaid = performance.now();
      const deadline = allPaid + DRAIN_TIMEOUT_MS;
      while (watcher.latest().done + watcher.latest().failed < paid && performance.now() < deadline) await delay(WATCH_MS);
    } finally {
      clearInterval(progress);
      await watcher.stop();
      drained = watcher.latest();
    }
    const cpuAfter = cpuNow(stack);
    const afterRun = memoryNow(stack);
    // How each process settles while idle (the idle trim, paging): its RSS every 15 s.
    const settling: Map<string, Memory>[] = [];
    for (let waited = 0; waited < IDLE_MS; waited += SETTLE_STEP_MS) {
      await delay(Math.min(SETTLE_STEP_MS, IDLE_MS - waited));
      settling.push(memoryNow(stack));
    }
    const idle = settling.at(-1) ?? memoryNow(stack);
    const times = await serverTimes(stack.databaseUrl);

    note('baseline: engine workflows…');
    const engine = await startBaselineEngine(stack.temporalAddress);
    let emptyRate: string;
    let oneActivityRate: string;
    try {
      await workflowsPerMinute(20, () => engine.oneActivityWorkflow());
      emptyRate = await workflowsPerMinute(BASELINE_WORKFLOWS, () => engine.emptyWorkflow());
      oneActivityRate = await workflowsPerMinute(BASELINE_WORKFLOWS, () => engine.oneActivityWorkflow());
    } finally {
      await engine.stop();
    }

    const snapshots = watcher.snapshots;
    const first = Math.ceil(drained.done * 0.1);
    const last = Math.floor(drained.done * 0.9);
    printTable(
      `Throughput (${CLIENTS} concurrent senders)`,
      ['measure', 'count', 'per minute'],
      [
        ['faxes paid by the senders (offered load)', String(paid), perMinute(paid, allPaid - start)],
        ['faxes completed (delivered and captured), whole run', String(drained.done), perMinute(drained.done, reached(snapshots, drained.done) - start)],
        ['faxes completed, middle 80 % of the run', String(last - first), perMinute(last - first, reached(snapshots, last) - reached(snapshots, first))],
        ['faxes that ended otherwise', String(drained.failed), '–'],
        ['senders that hit an error', String(senderErrors.length), '–'],
        ['baseline: engine, empty workflows start→complete', String(BASELINE_WORKFLOWS), emptyRate],
        ['baseline: engine, one-activity workflows start→complete', String(BASELINE_WORKFLOWS), oneActivityRate],
      ],
    );
    if (senderErrors.length) note(`first sender error: ${senderErrors[0]}`);

    printTable(
      'Time per fax under that load (ms, server timestamps)',
      ['measure', 'n', 'p50', 'p99', 'max'],
      [latencyRow('upload → completed (with the quote wait and the payment)', times.total), latencyRow('payment confirmed → completed', times.afterPayment)],
    );

    const perFax = (ms: number): string => (ms / Math.max(1, drained.done)).toFixed(0);
    const cpuRows = [...cpuAfter].map(([name, after]) => [name, perFax(after - (cpuBefore.get(name) ?? 0))]);
    const cpuTotal = [...cpuAfter].reduce((sum, [name, after]) => sum + after - (cpuBefore.get(name) ?? 0), 0);
    printTable('CPU time per completed fax (ms, user + system)', ['process', 'per fax'], [...cpuRows, ['all of the above', perFax(cpuTotal)]]);

    const both = (m: Memory | undefined): string => `${mb(m?.rssMb)} / ${mb(m?.pssMb)}`;
    const memoryRows = [['floor: a bare Node process', `${mb(bareNode.rssMb)} / ${mb(bareNode.pssMb)}`, '–', '–', '–', '–']];
    for (const name of new Set([...atRest.keys(), ...afterRun.keys(), ...idle.keys()])) {
      const target = TARGET_MB[name];
      memoryRows.push([name, both(atRest.get(name)), both(afterRun.get(name)), both(idle.get(name)), mb(idle.get(name)?.peakMb), target ? `≤ ${target}` : '–']);
    }
    const sums = (m: Map<string, Memory>): string => `${mb(sumMb(m))} / ${mb(sumMb(m, 'pssMb'))}`;
    memoryRows.push(['all of the above', sums(atRest), sums(afterRun), sums(idle), '–', `≤ ${TARGET_MB.all} at rest`]);
    printTable(
      'Memory (MiB, VmRSS / PSS: PSS counts a page shared by several processes, as the node binary is, once in all)',
      ['process', `at rest (${REST_MS / 1000} s)`, `after ${drained.done} faxes`, `idle ${IDLE_MS / 1000} s later`, 'peak (VmHWM)', 'target'],
      memoryRows,
    );
    const settleNames = [...afterRun.keys()];
    printTable(
      'How it settles while idle (MiB, VmRSS)',
      ['process', 'right after', ...settling.map((_, i) => `+${Math.min((i + 1) * SETTLE_STEP_MS, IDLE_MS) / 1000} s`)],
      [
        ...settleNames.map((name) => [name, mb(afterRun.get(name)?.rssMb), ...settling.map((m) => mb(m.get(name)?.rssMb))]),
        ['all of the above', mb(sumMb(afterRun)), ...settling.map((m) => mb(sumMb(m)))],
      ],
    );
    if (drained.done + drained.failed < paid) note(`note: ${paid - drained.done - drained.failed} paid faxes had not finished ${DRAIN_TIMEOUT_MS / 1000} s after the last payment`);
  });
}

main().catch((err: unknown) => {
  process.stderr.write(`fax throughput bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
