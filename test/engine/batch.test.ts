import { randomUUID } from 'node:crypto';
import { Connection } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { id, withTimeSkippingWorker } from './harness';

/** StartBatchOperation and its companions, as the real server's batcher answers them. */
let env: TestWorkflowEnvironment;
let taskQueue: string;
withTimeSkippingWorker((context) => ({ env, taskQueue } = context));

const E = temporal.api.enums.v1;
type StartRequest = temporal.api.workflowservice.v1.IStartBatchOperationRequest;

const svc = (): TestWorkflowEnvironment['connection']['workflowService'] => env.connection.workflowService;
const describe = (jobId: string) => svc().describeBatchOperation({ namespace: 'default', jobId });

async function finished(jobId: string): Promise<temporal.api.workflowservice.v1.DescribeBatchOperationResponse> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const job = await describe(jobId);
    if (job.state !== E.BatchOperationState.BATCH_OPERATION_STATE_RUNNING) return job;
    if (Date.now() > deadline) throw new Error(`batch ${jobId} still running: ${JSON.stringify(job)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const start = (request: StartRequest) => svc().startBatchOperation({ namespace: 'default', jobId: randomUUID(), reason: 'cleanup', ...request });
const refusal = (request: StartRequest) => start(request).catch((e: Error & { code?: number }) => e);

async function collectors(prefix: string, n: number) {
  return Promise.all(Array.from({ length: n }, (_, i) => env.client.workflow.start('collectNotes', { taskQueue, workflowId: `${prefix}-${i}`, args: [1] })));
}

test('terminate by query: only running workflows are touched; the job completes with its counts, and lists', async () => {
  const prefix = id('batch-terminate');
  const handles = await collectors(prefix, 3);
  const done = await env.client.workflow.start('collectNotes', { taskQueue, workflowId: `${prefix}-done`, args: [1] });
  await done.signal('note', 'x');
  await done.result();
  const jobId = id('job');
  await start({ jobId, visibilityQuery: `WorkflowId STARTS_WITH '${prefix}'`, terminationOperation: { identity: 'support@durafax' } });
  const job = await finished(jobId);
  expect(job).toMatchObject({
    jobId,
    operationType: E.BatchOperationType.BATCH_OPERATION_TYPE_TERMINATE,
    state: E.BatchOperationState.BATCH_OPERATION_STATE_COMPLETED,
    identity: 'support@durafax',
    reason: 'cleanup',
  });
  expect([Number(job.totalOperationCount), Number(job.completeOperationCount), Number(job.failureOperationCount)]).toEqual([3, 3, 0]);
  expect(job.closeTime).toBeTruthy();
  for (const handle of handles) {
    const events = (await handle.fetchHistory()).events ?? [];
    expect(events.at(-1)?.workflowExecutionTerminatedEventAttributes).toMatchObject({ reason: 'cleanup', identity: 'support@durafax' });
  }
  expect((await done.describe()).status.name).toBe('COMPLETED');
  const listed = await svc().listBatchOperations({ namespace: 'default' });
  expect(listed.operationInfo?.find((info) => info.jobId === jobId)?.state).toBe(E.BatchOperationState.BATCH_OPERATION_STATE_COMPLETED);
});

test('signal by executions: each named run gets the signal; a closed one counts as done, as NOT_FOUND does in the real batcher', async () => {
  const prefix = id('batch-signal');
  const handles = await collectors(prefix, 2);
  const closed = await env.client.workflow.start('collectNotes', { taskQueue, workflowId: `${prefix}-closed`, args: [0] });
  await closed.result();
  const jobId = id('job');
  await start({
    jobId,
    executions: [
      ...[...handles, closed].map((h): { workflowId: string; runId?: string } => ({ workflowId: h.workflowId, runId: h.firstExecutionRunId })),
      { workflowId: `${prefix}-never-started` },
    ],
    signalOperation: { signal: 'note', input: { payloads: [defaultPayloadConverter.toPayload('from the batch')] }, identity: 'support' },
  });
  const job = await finished(jobId);
  expect([Number(job.totalOperationCount), Number(job.completeOperationCount), Number(job.failureOperationCount)]).toEqual([4, 4, 0]);
  for (const handle of handles) expect(await handle.result()).toEqual(['from the batch']);
});

test('cancel by query, and reset by executions to the first workflow task, as the UI asks', async () => {
  const prefix = id('batch-cancel');
  const [handle] = await collectors(prefix, 1);
  await start({ jobId: id('job'), visibilityQuery: `WorkflowId = '${handle.workflowId}'`, cancellationOperation: { identity: 'support' } });
  await expect(handle.result()).rejects.toThrow();
  expect((await handle.describe()).status.name).toBe('CANCELLED');

  const resetPrefix = id('batch-reset');
  const [target] = await collectors(resetPrefix, 1);
  await target.signal('note', 'before');
  expect(await target.result()).toEqual(['before']);
  const jobId = id('job');
  await start({
    jobId,
    executions: [{ workflowId: target.workflowId, runId: target.firstExecutionRunId }],
    resetOperation: { identity: 'support', options: { firstWorkflowTask: {} }, resetType: E.ResetType.RESET_TYPE_FIRST_WORKFLOW_TASK },
  });
  const job = await finished(jobId);
  expect(Number(job.completeOperationCount)).toBe(1);
  const current = await env.client.workflow.getHandle(target.workflowId).describe();
  expect(current.runId).not.toBe(target.firstExecutionRunId);
  // Signals after the reset point are reapplied: the new run completes with the same note.
  expect(await env.client.workflow.getHandle(target.workflowId, current.runId).result()).toEqual(['before']);
});

test('the real frontend refusals; one job at a time; a job id is not reused; a stopped job ends FAILED where it was', async () => {
  const terminate = { terminationOperation: { identity: 'support' } };
  const one = [{ workflowId: 'x' }];
  expect(await refusal({ jobId: '', executions: one, ...terminate })).toMatchObject({ code: 3, message: expect.stringContaining('JobId is not set on request.') });
  expect(await refusal({ ...terminate })).toMatchObject({ code: 3, message: expect.stringContaining('Workflow executions and visibility filter are not set on request.') });
  expect(await refusal({ executions: one, visibilityQuery: 'WorkflowId = "x"', ...terminate })).toMatchObject({
    code: 3,
    message: expect.stringContaining('Workflow executions and visibility filter are both set on request. Only one of them is allowed.'),
  });
  expect(await refusal({ executions: one, reason: '', ...terminate })).toMatchObject({ code: 3, message: expect.stringContaining('Reason is not set on request.') });
  expect(await refusal({ executions: one })).toMatchObject({ code: 3, message: expect.stringContaining('Batch operation is not set on request.') });
  expect(await refusal({ executions: one, updateWorkflowOptionsOperation: {} })).toMatchObject({ code: 12 });

  const prefix = id('batch-slow');
  const handles = await collectors(prefix, 3);
  const jobId = id('job');
  await start({ jobId, executions: handles.map((h) => ({ workflowId: h.workflowId })), maxOperationsPerSecond: 1, ...terminate });
  // The SDK's client retries RESOURCE_EXHAUSTED: ask once, on a connection without its retries.
  const once = await Connection.connect({ address: env.connection.options.address, interceptors: [] });
  const busy = await once.workflowService
    .startBatchOperation({ namespace: 'default', jobId: randomUUID(), reason: 'r', executions: one, ...terminate })
    .catch((e: Error & { code?: number }) => e);
  await once.close();
  expect(busy).toMatchObject({ code: 8, message: expect.stringContaining('Max concurrent batch operations is reached') });
  await svc().stopBatchOperation({ namespace: 'default', jobId, reason: 'enough', identity: 'support' });
  const stopped = await describe(jobId);
  expect(stopped.state).toBe(E.BatchOperationState.BATCH_OPERATION_STATE_FAILED);
  expect(Number(stopped.completeOperationCount)).toBe(1);
  expect((await handles[2].describe()).status.name).toBe('RUNNING');
  const again = await refusal({ jobId, executions: one, ...terminate });
  expect(again).toMatchObject({ code: 6, message: expect.stringContaining(`Workflow execution already finished. WorkflowId: ${jobId}`) });
  const unknown = await describe('no-such-job').catch((e: Error & { code?: number }) => e);
  expect(unknown).toMatchObject({ code: 5 });
  for (const h of handles.slice(1)) await h.terminate();
});
