import { randomUUID } from 'node:crypto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { createActivities, Probe } from './activities';
import { id, withTimeSkippingWorker, workflowsPath } from './harness';
import type { InfoReport } from './workflows/info';

/** What the SDK's workflowInfo() and describe() read from the engine, as they read it from a real server. */
let env: TestWorkflowEnvironment;
let taskQueue: string;
withTimeSkippingWorker((context) => ({ env, taskQueue } = context));

test('Datetime search attributes come back as dates: in workflowInfo, describe and list', async () => {
  const at = new Date('2026-03-01T12:00:00.000Z');
  const handle = await env.client.workflow.start('reportsInfo', { taskQueue, workflowId: id('datetime'), args: [0], searchAttributes: { CustomDatetimeField: [at] } });
  expect((await handle.result()).datetimeIsDate).toBe(true);
  const described = await handle.describe();
  expect(described.searchAttributes.CustomDatetimeField).toEqual([at]);
  expect(described.typedSearchAttributes.getAll().find((pair) => pair.key.name === 'CustomDatetimeField')?.value).toEqual(at);
  for await (const listed of env.client.workflow.list({ query: `WorkflowId = '${handle.workflowId}'` })) expect(listed.searchAttributes.CustomDatetimeField).toEqual([at]);
});

test('a top-level run has no root, timeouts nobody set are undefined, and a long history suggests continue-as-new', async () => {
  const handle = await env.client.workflow.start('reportsInfo', { taskQueue, workflowId: id('info'), args: [4100] });
  const report: InfoReport = await handle.result();
  expect(report.root).toBeUndefined();
  expect(report.executionTimeoutMs).toBeUndefined();
  expect(report.runTimeoutMs).toBeUndefined();
  expect(report.historyLength).toBeGreaterThan(4096);
  expect(report.continueAsNewSuggested).toBe(true);
  // The encoded size of the events, as the real server measures it (about 50 bytes a memo upsert).
  expect(report.historySize).toBeGreaterThan(4100 * 40);
  expect(report.historySize).toBeLessThan(4100 * 200);
  // Describe still names the run as its own root.
  expect((await handle.describe()).raw.workflowExecutionInfo?.rootExecution?.workflowId).toBe(handle.workflowId);
});

test('the build id of the worker that completed a task is recorded: workflowInfo reads it on replay, BuildIds lists it', async () => {
  const queue = `build-${randomUUID()}`;
  // Nothing cached: every task replays the history from the start, so the first task's build id comes from its events.
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue: queue,
    workflowsPath,
    activities: createActivities(new Probe()),
    buildId: 'engine-build-7',
    maxCachedWorkflows: 0,
  });
  const report: InfoReport = await worker.runUntil(env.client.workflow.execute('reportsInfo', { taskQueue: queue, workflowId: id('build'), args: [1] }));
  expect(report.firstBuildId).toBe('engine-build-7');
  const ids: string[] = [];
  for await (const listed of env.client.workflow.list({ query: `TaskQueue = '${queue}' AND BuildIds = 'unversioned:engine-build-7'` })) ids.push(listed.workflowId);
  expect(ids).toHaveLength(1);
  expect((await env.client.workflow.getHandle(ids[0]).describe()).searchAttributes.BuildIds).toEqual(['unversioned', 'unversioned:engine-build-7']);
});
