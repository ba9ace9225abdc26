import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { NativeConnection, Worker } from '@temporalio/worker';
import { startEngine, type RunningEngine } from '../../src/engine';
import { silentLogger } from '../../src/log';
import { createTimeSkippingEnv } from '../helpers/temporal';
import { createActivities, Probe } from './activities';

export const workflowsPath = require.resolve('./workflows');

/** One worker per test file on its own task queue, with a fresh probe to observe activities. */
export async function startWorker(env: TestWorkflowEnvironment): Promise<{ worker: Worker; taskQueue: string; probe: Probe; running: Promise<void> }> {
  const taskQueue = `engine-${randomUUID()}`;
  const probe = new Probe();
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowsPath,
    activities: createActivities(probe),
    // Cancellation reaches activities through heartbeats: do not hold them back for long.
    maxHeartbeatThrottleInterval: '100ms',
    defaultHeartbeatThrottleInterval: '100ms',
  });
  const running = worker.run();
  return { worker, taskQueue, probe, running };
}

export const id = (prefix: string): string => `${prefix}-${randomUUID()}`;

/** What a test file gets from withTimeSkippingWorker: the environment, its worker's task queue and probe. */
export interface EngineTestContext {
  env: TestWorkflowEnvironment;
  taskQueue: string;
  probe: Probe;
}

/**
 * Starts a time-skipping environment and one worker for the test file (beforeAll), hands them
 * to `ready`, and stops both after the file's tests (afterAll).
 */
export function withTimeSkippingWorker(ready: (context: EngineTestContext) => void): void {
  let env: TestWorkflowEnvironment | undefined;
  let started: Awaited<ReturnType<typeof startWorker>> | undefined;
  beforeAll(async () => {
    env = await createTimeSkippingEnv();
    started = await startWorker(env);
    ready({ env, taskQueue: started.taskQueue, probe: started.probe });
  });
  afterAll(async () => {
    started?.worker.shutdown();
    await started?.running;
    await env?.teardown();
  });
}

/** What a test file gets from withInMemoryEngine, once its beforeAll has run. */
export interface InMemoryEngine {
  engine: RunningEngine;
  client: Client;
  /** For workers in the test process. */
  native: NativeConnection;
}

/** An in-memory engine in the test process with a client and a native connection, for the test file (beforeAll to afterAll). */
export function withInMemoryEngine(): InMemoryEngine {
  const context = {} as InMemoryEngine;
  let connection: Connection | undefined;
  beforeAll(async () => {
    context.engine = await startEngine({ port: 0, inMemory: true, log: silentLogger });
    connection = await Connection.connect({ address: context.engine.address });
    context.native = await NativeConnection.connect({ address: context.engine.address });
    context.client = new Client({ connection });
  });
  afterAll(async () => {
    await context.native?.close();
    await connection?.close();
    await context.engine?.stop();
  });
  return context;
}

/** A worker in a process of its own (worker-process.ts), for tests that kill it; resolves once it polls. */
export async function spawnWorkerProcess(address: string, taskQueue: string, identity: string): Promise<{ child: ChildProcess; exited: Promise<unknown> }> {
  const root = path.resolve(__dirname, '..', '..');
  const child = spawn(process.execPath, ['-r', path.join(root, 'src/conversion/child/register-ts.js'), path.join(__dirname, 'worker-process.ts'), address, taskQueue, identity], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (b: Buffer) => b.toString().includes('ready') && resolve());
    child.once('exit', (code) => reject(new Error(`worker process exited (${code})`)));
  });
  return { child, exited };
}
