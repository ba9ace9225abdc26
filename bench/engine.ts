/**
 * The embedded engine's speed: workflows per second and start→complete latency of a short
 * workflow (one activity), with the journal (fsync'ed, the default) side by side with the
 * in-memory mode as the baseline; and the wall time of a fax-sized workflow (15 activities,
 * timers of an hour, a day and a week) under time skipping, beside the same workflow without
 * timers.
 *
 * Run (the engine runs from dist/, as in production, in its own process):
 *   npm run build && node -r ./src/conversion/child/register-ts.js bench/engine.ts
 * Knobs: BENCH_WORKFLOWS (default 300), BENCH_CONCURRENCY (default 20), BENCH_RUNS (default 10).
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

const WORKFLOWS = Number(process.env.BENCH_WORKFLOWS ?? 300);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 20);
const RUNS = Number(process.env.BENCH_RUNS ?? 10);
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

const pct = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))];

async function throughput(label: string, args: string[]): Promise<{ label: string; perSecond: number; p50: number; p95: number; alone: number }> {
  const { child, address } = await launch(args);
  const nativeConnection = await NativeConnection.connect({ address });
  const taskQueue = `bench-${randomUUID()}`;
  const worker = await Worker.create({ connection: nativeConnection, taskQueue, workflowsPath, activities, maxConcurrentWorkflowTaskExecutions: 100 });
  const connection = await Connection.connect({ address });
  const client = new Client({ connection });
  const latencies: number[] = [];
  const aloneLatencies: number[] = [];
  let elapsed = 0;
  await worker.runUntil(async () => {
    // Warm-up: the worker's first workflow bundles and caches code.
    await client.workflow.execute('shortWorkflow', { taskQueue, workflowId: `warm-${randomUUID()}` });
    // One at a time: the latency of a workflow with the engine otherwise idle.
    for (let i = 0; i < 30; i++) {
      const s = performance.now();
      await client.workflow.execute('shortWorkflow', { taskQueue, workflowId: `alone-${randomUUID()}` });
      aloneLatencies.push(performance.now() - s);
    }
    let next = 0;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < WORKFLOWS) {
          next++;
          const s = performance.now();
          await client.workflow.execute('shortWorkflow', { taskQueue, workflowId: `bench-${randomUUID()}` });
          latencies.push(performance.now() - s);
        }
      }),
    );
    elapsed = performance.now() - t0;
  });
  await connection.close();
  await nativeConnection.close();
  child.kill('SIGTERM');
  latencies.sort((a, b) => a - b);
  aloneLatencies.sort((a, b) => a - b);
  return { label, perSecond: (WORKFLOWS / elapsed) * 1000, p50: pct(latencies, 50), p95: pct(latencies, 95), alone: pct(aloneLatencies, 50) };
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
    console.log(`Short workflow (1 activity): ${WORKFLOWS} workflows, ${CONCURRENCY} at a time, engine in its own process`);
    const rows = [await throughput('in-memory (baseline)', ['--in-memory']), await throughput("journal, fsync'ed (default)", ['--data-dir', dataDir])];
    console.log(`  mode                          workflows/s    p50 ms    p95 ms   p50 ms one at a time`);
    for (const r of rows) {
      console.log(
        `  ${r.label.padEnd(28)} ${r.perSecond.toFixed(1).padStart(12)} ${r.p50.toFixed(1).padStart(9)} ${r.p95.toFixed(1).padStart(9)} ${r.alone.toFixed(1).padStart(12)}`,
      );
    }

    console.log(`\nFax-sized workflow (15 activities) under time skipping, ${RUNS} runs each, wall time`);
    const ts = await timeSkipping();
    const med = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    console.log(`  with timers of 1h, 1d and 7d   median ${med(ts.withTimers).toFixed(0)} ms   max ${Math.max(...ts.withTimers).toFixed(0)} ms`);
    console.log(`  without timers (baseline)      median ${med(ts.withoutTimers).toFixed(0)} ms   max ${Math.max(...ts.withoutTimers).toFixed(0)} ms`);
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
