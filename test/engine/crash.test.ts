import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { NativeConnection, Worker } from '@temporalio/worker';
import { freePort } from '../../src/net';
import { ENGINE_LAUNCHER } from '../helpers/temporal';
import { createActivities, Probe } from './activities';
import { id, workflowsPath } from './harness';
import { proceedSignal } from './workflows/durable';

/** Starts the engine as its own process on a data folder and resolves once it listens. */
async function launch(port: number, dataDir: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, [ENGINE_LAUNCHER, '--port', String(port), '--data-dir', dataDir], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ENGINE_LOG_LEVEL: 'info' },
  });
  await new Promise<void>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`engine did not start: ${out}`)), 15_000);
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString();
      if (out.includes('"engine listening"')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => reject(new Error(`engine exited with ${code}: ${out}`)));
  });
  child.stdout.resume();
  child.stderr.resume();
  return child;
}

function killHard(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

let dataDir: string;
let engine: ChildProcess | undefined;
beforeAll(async () => {
  dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'durafax-engine-crash-'));
});
afterAll(async () => {
  if (engine && engine.exitCode === null) await killHard(engine);
  await fs.rm(dataDir, { recursive: true, force: true });
});

test('kill -9 mid-timer and mid-activity: after a restart on the same data the workflows complete', async () => {
  const port = await freePort();
  engine = await launch(port, dataDir);
  const address = `127.0.0.1:${port}`;
  const probe = new Probe();
  const nativeConnection = await NativeConnection.connect({ address });
  const taskQueue = id('crash');
  const worker = await Worker.create({ connection: nativeConnection, taskQueue, workflowsPath, activities: createActivities(probe) });
  const connection = await Connection.connect({ address });
  const client = new Client({ connection });

  await worker.runUntil(async () => {
    const started = Date.now();
    const timer = await client.workflow.start('timerThenGreet', { taskQueue, workflowId: id('timer'), args: [3000] });
    const slowKey = id('slow');
    const activity = await client.workflow.start('slowStep', { taskQueue, workflowId: slowKey, args: [slowKey, 1500] });
    const waiting = await client.workflow.start('waitForProceed', { taskQueue, workflowId: id('waiting') });
    await probe.reached(`${slowKey}:started`);
    // Results are awaited across the crash: the client reconnects and keeps long-polling.
    const results = Promise.all([timer.result(), activity.result(), waiting.result()]);
    results.catch(() => undefined);

    await killHard(engine!);
    engine = await launch(port, dataDir);

    await waiting.signal(proceedSignal);
    const [afterTimer, attempt, proceeded] = await results;
    expect(afterTimer).toBe('Hello, after the timer!');
    // The timer kept its original due time across the restart.
    expect(Date.now() - started).toBeGreaterThanOrEqual(3000);
    expect(attempt).toBeGreaterThanOrEqual(1);
    expect(proceeded).toBe('Hello, proceeding!');

    const timerHistory = (await timer.fetchHistory()).events!.map((e) => temporal.api.enums.v1.EventType[e.eventType!]);
    expect(timerHistory).toEqual(expect.arrayContaining(['EVENT_TYPE_TIMER_STARTED', 'EVENT_TYPE_TIMER_FIRED', 'EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED']));
  });
  await connection.close();
  await nativeConnection.close();

  // Restarted once more, on the journal alone, everything is still there.
  await killHard(engine);
  engine = await launch(port, dataDir);
  const again = await Connection.connect({ address });
  try {
    const count = await new Client({ connection: again }).workflow.count(`TaskQueue = '${taskQueue}' AND ExecutionStatus = 'Completed'`);
    expect(count.count).toBe(3);
  } finally {
    await again.close();
  }
});
