/**
 * The embedded engine's memory per idle open workflow and its restart time, with idle runs
 * paged out (the default) beside the engine with paging off (`engine.pageIdleRuns=false`: every
 * run in memory and whole in the snapshot, the engine as it was) as the baseline, each engine
 * in its own process started from dist/ on a data folder:
 *
 * - RSS per idle open workflow: the engine's VmRSS before and after BENCH_IDLE (default 10,000)
 *   workflows that wait on a timer of a week (as a fax waits out its retention), divided by
 *   their number; paging with `history.cacheTTL=2s`, measured once they have been idle longer
 *   (the lowest of samples every 0.5 s over BENCH_SETTLE seconds, default 6), and again at rest
 *   after two restarts of the engine (the second from the snapshot the first wrote): the figure
 *   without the garbage and heap growth the 10,000 starts left behind;
 * - restart with BENCH_RESTART (default 100,000) open workflows: a data folder holding that
 *   many copies of a real run waiting on its week timer is written in the old snapshot format;
 *   each engine starts on it once (its first start converts the snapshot), is stopped, and is
 *   started again: the time from spawn to "engine listening" of each start, and the RSS then.
 *
 * Run by hand:
 *   npm run build && node -r ./src/conversion/child/register-ts.js bench/engine-memory.ts
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { freePort } from '../src/net';
import { decodeJson, encodeJson } from '../src/engine/store/codec';
import type { JournaledRun, SnapshotState } from '../src/engine/store/store';
import type { BenchActivities } from './engine-workflows';

const IDLE = Number(process.env.BENCH_IDLE ?? 10_000);
const RESTART = Number(process.env.BENCH_RESTART ?? 100_000);
const LAUNCHER = path.resolve(__dirname, '..', 'bin', 'durafax-engine');
const workflowsPath = require.resolve('./engine-workflows');
const activities: BenchActivities = { step: async (n) => n };

let lastPaging = '';

const MODES = [
  { label: 'paging off (baseline)', args: ['--dynamic-config-value', 'engine.pageIdleRuns=false'] },
  { label: 'idle runs paged out', args: ['--dynamic-config-value', 'history.cacheTTL=2s'] },
];

async function launch(dataDir: string, args: string[]): Promise<{ child: ChildProcess; address: string; ms: number }> {
  const port = await freePort();
  const t0 = performance.now();
  const child = spawn(process.execPath, [LAUNCHER, '--port', String(port), '--data-dir', dataDir, ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, ENGINE_LOG_LEVEL: 'info' },
  });
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString();
      if (out.includes('"engine listening"')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`engine exited (${code})`)));
  });
  const ms = performance.now() - t0;
  // The engine's own account of paging, for the record.
  child.stdout.on('data', (b: Buffer) => {
    for (const line of b.toString().split('\n')) if (line.includes('"idle runs paged out"') || line.includes('"engine state recovered"')) lastPaging = line;
  });
  return { child, address: `127.0.0.1:${port}`, ms };
}

async function stopEngine(child: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

async function rssKiB(pid: number): Promise<number> {
  const status = await fs.readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0);
}

/** The lowest RSS over a few seconds: garbage not yet collected inflates single samples. */
async function settledRss(pid: number, seconds = Number(process.env.BENCH_SETTLE ?? 6)): Promise<number> {
  let least = Infinity;
  for (let i = 0; i < seconds * 2; i++) {
    least = Math.min(least, await rssKiB(pid));
    await new Promise((r) => setTimeout(r, 500));
  }
  return least;
}

async function waitFor(what: string, check: () => Promise<boolean>, ms = 600_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** IDLE workflows waiting on a week's timer: the engine's RSS before and after, per workflow. */
async function idleMemory(args: string[]): Promise<{ beforeMiB: number; afterMiB: number; perRunKiB: number; restartedMiB: number; perRunRestartedKiB: number }> {
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'durafax-bench-paging-'));
  const { child, address } = await launch(dataDir, args);
  const native = await NativeConnection.connect({ address });
  const connection = await Connection.connect({ address });
  const client = new Client({ connection });
  const taskQueue = `bench-${randomUUID()}`;
  const worker = await Worker.create({ connection: native, taskQueue, workflowsPath, activities, maxConcurrentWorkflowTaskExecutions: 100, maxCachedWorkflows: 1000 });
  try {
    await new Promise((r) => setTimeout(r, 2000));
    const before = await settledRss(child.pid!);
    await worker.runUntil(async () => {
      let next = 0;
      await Promise.all(
        Array.from({ length: 50 }, async () => {
          while (next < IDLE) {
            next++;
            await client.workflow.start('retentionWait', { taskQueue, workflowId: `idle-${randomUUID()}` });
          }
        }),
      );
      // Started, its first task scheduled, started and completed, and TimerStarted: five events.
      await waitFor('every timer started', async () => (await client.workflow.count(`WorkflowType = 'retentionWait' AND HistoryLength >= 5`)).count >= IDLE);
    });
    // Past the idle time (2 s) and a sweep or two.
    await new Promise((r) => setTimeout(r, 5000));
    const after = await settledRss(child.pid!);
    if (process.env.BENCH_VERBOSE) console.log(`  (${lastPaging.trim() || 'nothing paged out'})`);
    await connection.close();
    await native.close();
    await stopEngine(child);
    // The same workflows after a restart, with nothing else going on: no garbage of the starts
    // left in the figure. The first start replays the journal and writes a snapshot; the second
    // starts from that snapshot, as an engine restarted after a while does.
    await stopEngine((await launch(dataDir, args)).child);
    const again = await launch(dataDir, args);
    await new Promise((r) => setTimeout(r, 5000));
    const restarted = await settledRss(again.child.pid!);
    if (process.env.BENCH_VERBOSE) console.log(`  (${lastPaging.trim()})`);
    await stopEngine(again.child);
    return {
      beforeMiB: before / 1024,
      afterMiB: after / 1024,
      perRunKiB: (after - before) / IDLE,
      restartedMiB: restarted / 1024,
      perRunRestartedKiB: (restarted - before) / IDLE,
    };
  } finally {
    await connection.close().catch(() => undefined);
    await native.close().catch(() => undefined);
    if (child.exitCode === null) await stopEngine(child);
    await fs.rm(dataDir, { recursive: true, force: true });
  }
}

/** One real run waiting on its week timer, from an engine's snapshot: the template of the restart's runs. */
async function templateRun(): Promise<{ run: JournaledRun; snapshot: SnapshotState }> {
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'durafax-bench-template-'));
  const off = MODES[0].args;
  try {
    const { child, address } = await launch(dataDir, off);
    const native = await NativeConnection.connect({ address });
    const connection = await Connection.connect({ address });
    const client = new Client({ connection });
    const taskQueue = `bench-${randomUUID()}`;
    const worker = await Worker.create({ connection: native, taskQueue, workflowsPath, activities });
    await worker.runUntil(async () => {
      await client.workflow.start('retentionWait', { taskQueue, workflowId: `template-${randomUUID()}`, memo: { fax: 'fax-template' } });
      await waitFor('the timer', async () => (await client.workflow.count(`WorkflowType = 'retentionWait' AND HistoryLength >= 5`)).count >= 1, 30_000);
    });
    await connection.close();
    await native.close();
    await stopEngine(child);
    // A start writes a snapshot of everything it recovered (with paging off: runs whole).
    await stopEngine((await launch(dataDir, off)).child);
    const name = (await fs.readdir(dataDir)).find((n) => /^snapshot-\d+\.json$/.test(n));
    if (!name) throw new Error('no snapshot written');
    const snapshot = decodeJson(await fs.readFile(path.join(dataDir, name), 'utf8')) as SnapshotState;
    const run = snapshot.runs?.find((r) => r.s.workflowType === 'retentionWait');
    if (!run) throw new Error('the template run is not in the snapshot');
    return { run, snapshot };
  } finally {
    await fs.rm(dataDir, { recursive: true, force: true });
  }
}

/** A data folder in the old snapshot format holding RESTART copies of the template run, each with ids of its own. */
async function bigFolder(template: { run: JournaledRun; snapshot: SnapshotState }): Promise<string> {
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'durafax-bench-restart-'));
  const text = encodeJson(template.run);
  const { runId, workflowId } = template.run.s;
  const { runs: _runs, ...others } = template.snapshot;
  const fh = await fs.open(path.join(dataDir, 'snapshot-1.json'), 'w');
  await fh.write('{"runs":[');
  for (let i = 0; i < RESTART; i++) {
    const id = randomUUID();
    await fh.write((i ? ',' : '') + text.split(runId).join(id).split(workflowId).join(`restart-${id}`));
  }
  await fh.write(`],${encodeJson(others).slice(1)}`);
  await fh.close();
  return dataDir;
}

/** Starts an engine on a copy of the folder twice: the first start (old format), and a restart after a clean stop. */
async function restart(folder: string, args: string[]): Promise<{ firstMs: number; restartMs: number; rssMiB: number }> {
  const dataDir = `${folder}-${randomUUID()}`;
  await fs.cp(folder, dataDir, { recursive: true });
  try {
    const first = await launch(dataDir, args);
    await stopEngine(first.child);
    const again = await launch(dataDir, args);
    const rss = await rssKiB(again.child.pid!);
    await stopEngine(again.child);
    return { firstMs: first.ms, restartMs: again.ms, rssMiB: rss / 1024 };
  } finally {
    await fs.rm(dataDir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const row = (label: string, a: string, b: string): void => console.log(`  ${label.padEnd(44)} ${a.padStart(22)} ${b.padStart(22)}`);
  console.log(`Embedded engine, its own process on a data folder; ${os.cpus().length} CPUs`);
  row('', MODES[0].label, MODES[1].label);
  const memory = [];
  for (const mode of MODES) memory.push(await idleMemory(mode.args));
  console.log(`Engine RSS, ${IDLE.toLocaleString('en')} open workflows waiting on a week's timer`);
  row('RSS before → after, MiB', ...(memory.map((m) => `${m.beforeMiB.toFixed(0)} → ${m.afterMiB.toFixed(0)}`) as [string, string]));
  row('per idle open workflow, KiB', ...(memory.map((m) => m.perRunKiB.toFixed(1)) as [string, string]));
  row('after a restart (at rest): RSS, MiB', ...(memory.map((m) => m.restartedMiB.toFixed(0)) as [string, string]));
  row('after a restart: per idle open workflow, KiB', ...(memory.map((m) => m.perRunRestartedKiB.toFixed(1)) as [string, string]));

  const folder = await bigFolder(await templateRun());
  try {
    const starts = [];
    for (const mode of MODES) starts.push(await restart(folder, mode.args));
    console.log(`Start with ${RESTART.toLocaleString('en')} open workflows (spawn → listening)`);
    row('first start, from the old snapshot format, s', ...(starts.map((s) => (s.firstMs / 1000).toFixed(2)) as [string, string]));
    row('restart after a clean stop, s', ...(starts.map((s) => (s.restartMs / 1000).toFixed(2)) as [string, string]));
    row('RSS once listening after the restart, MiB', ...(starts.map((s) => s.rssMiB.toFixed(0)) as [string, string]));
  } finally {
    await fs.rm(folder, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
