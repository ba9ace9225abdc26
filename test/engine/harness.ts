import { randomUUID } from 'node:crypto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
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
