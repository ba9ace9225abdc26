import { randomUUID } from 'node:crypto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import * as activities from './activities';
import { createTimeSkippingEnv } from '../helpers/temporal';

let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await createTimeSkippingEnv();
});
afterAll(async () => {
  await env?.teardown();
});

test('a workflow with one activity and a 30-day timer completes in well under a second', async () => {
  const taskQueue = `smoke-${randomUUID()}`;
  const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowsPath: require.resolve('./workflows/basic'), activities });
  await worker.runUntil(async () => {
    expect(await env.client.workflow.execute('oneActivity', { taskQueue, workflowId: randomUUID(), args: ['fax'] })).toBe('Hello, fax!');
    const t0 = Date.now();
    const elapsed = await env.client.workflow.execute('longSleep', { taskQueue, workflowId: randomUUID(), args: [30] });
    expect(elapsed).toBeGreaterThanOrEqual(30 * 86_400_000);
    expect(Date.now() - t0).toBeLessThan(1000);
  });
});
