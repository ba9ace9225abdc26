import { randomUUID } from 'node:crypto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { taskQueueBacklog } from '../../src/worker/temporal-connection';
import { createLocalEnv } from '../helpers/temporal';

/** The backlog the worker's `durafax_conversion_backlog` reports, read from the engine as from a real server. */
let env: TestWorkflowEnvironment;

beforeAll(async () => {
  env = await createLocalEnv();
}, 60_000);

afterAll(async () => {
  await env?.teardown();
});

test('tasks nobody has taken yet are counted, per queue and type', async () => {
  const queue = `backlog-${randomUUID()}`;
  const backlog = (type: 'workflow' | 'activity'): Promise<number> => taskQueueBacklog(env.nativeConnection, 'default', queue, type);
  expect(await backlog('workflow')).toBe(0);
  // No worker polls this queue: each start leaves its first workflow task waiting there.
  const handles = await Promise.all([1, 2, 3].map((n) => env.client.workflow.start('waitsForAWorker', { taskQueue: queue, workflowId: `${queue}-${n}` })));
  expect(await backlog('workflow')).toBe(3);
  expect(await backlog('activity')).toBe(0);
  await Promise.all(handles.map((h) => h.terminate('test finished')));
});
