/**
 * The embedded engine's speed and memory, with the journal (fsync'ed, the default) side by side
 * with the in-memory mode as the baseline, each engine in its own process started from dist/:
 *
 * - workflows per second, start → result, of an empty workflow and of a one-activity workflow
 *   at 1, 10 and 100 concurrent starters (a worker in the bench process);
 * - the CPU each workflow costs the engine's process and the bench's (the SDK's worker and client),
 *   and the rates those allow: one core's worth each, and both sides together on the machine's two;
 * - history long-poll latency: a GetWorkflowExecutionHistory waiting for a new event
 *   (waitNewEvent, as `result()` and the UI wait) answered after a signal, from the signal's send;
 * - RSS per open workflow: the engine's VmRSS before and after starting open workflows whose
 *   first task has run, divided by their number;
 * - the wall time of a fax-sized workflow (15 activities, timers of an hour, a day and a week)
 *   under time skipping, beside the same workflow without timers.
 *
 * Run by hand:
 *   npm run build && node -r ./src/conversion/child/register-ts.js bench/engine.ts
 * Knobs: BENCH_SCALE (default 1: 40, 200 and 600 workflows at 1, 10 and 100 starters),
 * BENCH_POLLS (default 50 long polls), BENCH_OPEN (default 2000 open workflows), BENCH_RUNS
 * (default 10 time-skipping runs).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Client, Connection } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { freePort } from '../src/net';
import type { BenchActivities } from './engine-workflows';
import { cpuOf } from './fax-processes';

const SCALE = Number(process.env.BENCH_SCALE ?? 1);
const POLLS = Number(process.env.BENCH_POLLS ?? 50);
const OPEN = Number(process.env.BENCH_OPEN ?? 2000);
const RUNS = Number(process.env.BENCH_RUNS ?? 10);
const STARTERS = [1, 10, 100];
const COUNT: Record<number, number> = { 1: 40, 10: 200, 100: 600 };
const KINDS = [
  { name: 'emptyWorkflow', label: 'empty' },
  { name: 'shortWorkflow', label: 'one activity' },
];
const LAUNCHER = path.resolve(__dirname, '..', 'bin', 'durafax-engine');
const workflowsPath = require.resolve('./engine-workflows');
const activities: BenchActivities = { step: async (n) => n };

async function launch(args: string[]): Promise<{ child: ChildProcess; address: string }> {
  const port = await freePort();
  const child = spawn(process.execPath, [LAUNCHER, '--port', String(port), ...args], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ENGINE_LOG_LEVEL: 'info' } });
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString();
      if (out.includes('"engine listening"')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`engine exited (${code})`)));
  });
  child.stdout.resume();
  return { child, address: `127.0.0.1:${port}` };
}

const pct = (xs: number[], p: number): number => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))];
};

async function rssKiB(pid: number): Promise<number> {
  const status = await fs.readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0);
}

interface ModeFigures {
  /** Workflows per second by kind and number of starters, e.g. `empty/10`. */
  rate: Record<string, number>;
  /** CPU ms per workflow by the same keys: the engine's process, and this one (the SDK's worker and client). */
  engineCpu: Record<string, number>;
  sdkCpu: Record<string, number>;
  pollP50: number;
  pollP95: number;
  rssPerOpenKiB: number;
  rssBeforeMiB: number;
  rssAfterMiB: number;
}

/** `count` workflows of `type`, `starters` at a time: workflows per second, start → result, and CPU ms per workflow of the engine and of this process. */
async function rate(
  client: Client,
  taskQueue: string,
  type: string,
  starters: number,
  count: number,
  enginePid: number,
): Promise<{ perSecond: number; engineMs: number; sdkMs: number }> {
  let next = 0;
  const engineMs = (): number => cpuOf(enginePid)?.ownMs ?? NaN;
  const engine0 = engineMs();
  const own0 = process.cpuUsage();
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: starters }, async () => {
      while (next < count) {
        next++;
        await client.workflow.execute(type, { taskQueue, workflowId: `bench-${randomUUID()}` });
      }
    }),
  );
  const perSecond = (count / (performance.now() - t0)) * 1000;
  const own = process.cpuUsage(own0);
  return { perSecond, engineMs: (engineMs() - engine0) / count, sdkMs: (own.user + own.system) / 1000 / count };
}

/** Signal → answer of a history long poll that waits for a new event (no worker runs the workflow: only the engine is timed). */
async function longPolls(connection: Connection): Promise<number[]> {
  const svc = connection.workflowService;
  const workflowId = `poll-${randomUUID()}`;
  await svc.startWorkflowExecution({
    namespace: 'default',
    workflowId,
    workflowType: { name: 'openWorkflow' },
    taskQueue: { name: `nobody-${randomUUID()}` },
    requestId: randomUUID(),
  });
  const samples: number[] = [];
  // With waitNewEvent, an answer carries the token to wait on for the events after it.
  let page = await svc.getWorkflowExecutionHistory({ namespace: 'default', execution: { workflowId }, waitNewEvent: true });
  for (let i = 0; i < POLLS; i++) {
    const waiting = svc.getWorkflowExecutionHistory({ namespace: 'default', execution: { workflowId }, nextPageToken: page.nextPageToken, waitNewEvent: true });
    await new Promise((r) => setTimeout(r, 20));
    const sent = performance.now();
    await svc.signalWorkflowExecution({ namespace: 'default', workflowExecution: { workflowId }, signalName: 'poke', identity: 'bench', requestId: randomUUID() });
    page = await waiting;
    if (!page.history?.events?.some((e) => e.workflowExecutionSignaledEventAttributes)) throw new Error('the long poll answered without the signal');
    samples.push(performance.now() - sent);
  }
  return samples;
}

/** Starts OPEN workflows that wait for a signal, waits until each one's first task has run, and measures the engine's RSS. */
async function openWorkflows(client: Client, taskQueue: string, pid: number): Promise<{ before: number; after: number }> {
  await new Promise((r) => setTimeout(r, 2000));
  const before = await rssKiB(pid);
  const ids: string[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: 100 }, async () => {
      while (next < OPEN) {
        next++;
        const handle = await client.workflow.start('openWorkflow', { taskQueue, workflowId: `open-${randomUUID()}` });
        ids.push(handle.workflowId);
      }
    }),
  );
  for (const id of ids) {
    for (;;) {
      const described = await client.workflow.getHandle(id).describe();
      if (described.historyLength >= 4) break;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  await new Promise((r) => setTimeout(r, 2000));
  const after = await rssKiB(pid);
  await Promise.all(ids.map((id) => client.workflow.getHandle(id).terminate('bench over')));
  return { before, after };
}

async function measure(args: string[]): Promise<ModeFigures> {
  const { child, address } = await launch(args);
  const nativeConnection = await NativeConnection.connect({ address });
  const taskQueue = `bench-${randomUUID()}`;
  const worker = await Worker.create({
    connection: nativeConnection,
    taskQueue,
    workflowsPath,
    activities,
    maxConcurrentWorkflowTaskExecutions: 100,
    maxCachedWorkflows: OPEN + 200,
  });
  const connection = await Connection.connect({ address });
  const client = new Client({ connection });
  const figures: ModeFigures = { rate: {}, engineCpu: {}, sdkCpu: {}, pollP50: 0, pollP95: 0, rssPerOpenKiB: 0, rssBeforeMiB: 0, rssAfterMiB: 0 };
  try {
    await worker.runUntil(async () => {
      // Warm-up: the worker's first workflows bundle and cache code.
      for (const kind of KINDS) await rate(client, taskQueue, kind.name, 10, 20, child.pid!);
      // Memory first, on an engine that has done little yet (less garbage left to collect in the figure).
      const { before, after } = await openWorkflows(client, taskQueue, child.pid!);
      figures.rssPerOpenKiB = (after - before) / OPEN;
      figures.rssBeforeMiB = before / 1024;
      figures.rssAfterMiB = after / 1024;
      for (const kind of KINDS) {
        for (const starters of STARTERS) {
          const key = `${kind.label}/${starters}`;
          const r = await rate(client, taskQueue, kind.name, starters, Math.round(COUNT[starters] * SCALE), child.pid!);
          figures.rate[key] = r.perSecond;
          figures.engineCpu[key] = r.engineMs;
          figures.sdkCpu[key] = r.sdkMs;
        }
      }
      const polls = await longPolls(connection);
      figures.pollP50 = pct(polls, 50);
      figures.pollP95 = pct(polls, 95);
    });
  } finally {
    await connection.close();
    await nativeConnection.close();
    child.kill('SIGTERM');
  }
  return figures;
}

async function timeSkipping(): Promise<{ withTimers: number[]; withoutTimers: number[] }> {
  const env = await TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path: LAUNCHER } } });
  const taskQueue = `bench-${randomUUID()}`;
  const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowsPath, activities });
  const out = { withTimers: [] as number[], withoutTimers: [] as number[] };
  await worker.runUntil(async () => {
    await env.client.workflow.execute('faxSized', { taskQueue, workflowId: `warm-${randomUUID()}`, args: [false] });
    for (let i = 0; i < RUNS; i++) {
      for (const timers of [true, false]) {
        const s = performance.now();
        await env.client.workflow.execute('faxSized', { taskQueue, workflowId: `bench-${randomUUID()}`, args: [timers] });
        (timers ? out.withTimers : out.withoutTimers).push(performance.now() - s);
      }
    }
  });
  await env.teardown();
  return out;
}

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'durafax-bench-engine-'));
  try {
    console.log(`Embedded engine, its own process; ${os.cpus().length} CPUs; in-memory mode as the baseline of the journal (default)`);
    const base = await measure(['--in-memory']);
    const journal = await measure(['--data-dir', dataDir]);
    const row = (label: string, a: string, b: string): void => console.log(`  ${label.padEnd(40)} ${a.padStart(22)} ${b.padStart(22)}`);
    row('', 'in-memory (baseline)', "journal, fsync'ed");
    console.log('Workflows/s, start → result');
    for (const kind of KINDS) {
      for (const starters of STARTERS) {
        const key = `${kind.label}/${starters}`;
        const count = Math.round(COUNT[starters] * SCALE);
        row(`${kind.label}, ${starters} starter${starters > 1 ? 's' : ''} (${count} workflows)`, base.rate[key].toFixed(1), journal.rate[key].toFixed(1));
      }
    }
    console.log('CPU per workflow at 100 starters, ms (user + system): the engine, and the SDK (worker and client, this process)');
    for (const kind of KINDS) {
      const key = `${kind.label}/100`;
      row(`${kind.label}: engine`, base.engineCpu[key].toFixed(2), journal.engineCpu[key].toFixed(2));
      row(`${kind.label}: SDK worker and client`, base.sdkCpu[key].toFixed(2), journal.sdkCpu[key].toFixed(2));
      // What each side alone would allow if it had a core to itself, and what the two cores allow with both on them.
      const bound = (f: ModeFigures): string =>
        `${(1000 / f.engineCpu[key]).toFixed(0)} / ${(1000 / f.sdkCpu[key]).toFixed(0)} / ${((2 * 1000) / (f.engineCpu[key] + f.sdkCpu[key])).toFixed(0)}`;
      row(`${kind.label}: wf/s bound engine/SDK/2 cores`, bound(base), bound(journal));
    }
    console.log(`History long poll, signal → answer (${POLLS} polls), ms`);
    row('p50', base.pollP50.toFixed(1), journal.pollP50.toFixed(1));
    row('p95', base.pollP95.toFixed(1), journal.pollP95.toFixed(1));
    console.log(`Engine RSS, ${OPEN} open workflows (first task run, waiting for a signal)`);
    row('RSS before → after, MiB', `${base.rssBeforeMiB.toFixed(0)} → ${base.rssAfterMiB.toFixed(0)}`, `${journal.rssBeforeMiB.toFixed(0)} → ${journal.rssAfterMiB.toFixed(0)}`);
    row('per open workflow, KiB', base.rssPerOpenKiB.toFixed(1), journal.rssPerOpenKiB.toFixed(1));

    console.log(`\nFax-sized workflow (15 activities) under time skipping, ${RUNS} runs each, wall time`);
    const ts = await timeSkipping();
    console.log(`  with timers of 1h, 1d and 7d   median ${pct(ts.withTimers, 50).toFixed(0)} ms   max ${Math.max(...ts.withTimers).toFixed(0)} ms`);
    console.log(`  without timers (baseline)      median ${pct(ts.withoutTimers, 50).toFixed(0)} ms   max ${Math.max(...ts.withoutTimers).toFixed(0)} ms`);
  } finally {
    await fs.rm(dataDir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
