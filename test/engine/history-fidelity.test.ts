import { temporal } from '@temporalio/proto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { id, withTimeSkippingWorker, workflowsPath } from './harness';
import { doneSignal } from './workflows/signals';

/** The history a worker replays must be the history as it was written, event by event. */
let env: TestWorkflowEnvironment;
let taskQueue: string;
withTimeSkippingWorker((context) => ({ env, taskQueue } = context));

const E = temporal.api.enums.v1;
const typesOf = (events: temporal.api.history.v1.IHistoryEvent[]): string[] => events.map((e) => E.EventType[e.eventType!].replace('EVENT_TYPE_', ''));
const decode = (payload: temporal.api.common.v1.IPayload | null | undefined): unknown => JSON.parse(Buffer.from(payload!.data!).toString('utf8'));

async function waitFor<T>(what: string, read: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`${what} never happened; last: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

test('the start event keeps the memo and search attributes the workflow started with, whatever it upserts later', async () => {
  const handle = await env.client.workflow.start('indexed', {
    taskQueue,
    workflowId: id('start-event'),
    args: [7],
    memo: { customer: 'c7' },
    searchAttributes: { CustomKeywordField: ['start'] },
  });
  await handle.signal(doneSignal);
  await handle.result();
  const history = await handle.fetchHistory();
  const started = history.events![0].workflowExecutionStartedEventAttributes!;
  expect(Object.keys(started.memo!.fields!)).toEqual(['customer']);
  expect(Object.keys(started.searchAttributes!.indexedFields!)).toEqual(['CustomKeywordField']);
  // The run itself has the upserted values.
  const described = await handle.describe();
  expect(described.memo).toEqual({ customer: 'c7', stage: 'indexed' });
  expect(described.searchAttributes).toMatchObject({ CustomIntField: [7] });
  await Worker.runReplayHistory({ workflowsPath }, history, handle.workflowId);
});

test('a workflow task whose completion keeps being turned down is written once; its retries add no events until one completes', async () => {
  const name = `Unregistered${Date.now()}`;
  const handle = await env.client.workflow.start('upsertsAttribute', { taskQueue, workflowId: id('turned-down'), args: [name, 'x'] });
  const raw = async (): Promise<temporal.api.workflowservice.v1.IDescribeWorkflowExecutionResponse> => (await handle.describe()).raw;
  await waitFor('five attempts', raw, (d) => (d.pendingWorkflowTask?.attempt ?? 0) >= 5);
  const failing = typesOf((await handle.fetchHistory()).events!);
  expect(failing).toEqual(['WORKFLOW_EXECUTION_STARTED', 'WORKFLOW_TASK_SCHEDULED', 'WORKFLOW_TASK_STARTED', 'WORKFLOW_TASK_FAILED']);
  const failed = (await handle.fetchHistory()).events![3].workflowTaskFailedEventAttributes!;
  expect(E.WorkflowTaskFailedCause[failed.cause!]).toBe('WORKFLOW_TASK_FAILED_CAUSE_BAD_SEARCH_ATTRIBUTES');

  // Registered at last: the next attempt completes and its scheduled and started events are written with it.
  await env.connection.operatorService.addSearchAttributes({ namespace: 'default', searchAttributes: { [name]: E.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD } });
  await waitFor(
    'the upsert',
    async () => typesOf((await handle.fetchHistory()).events!),
    (types) => types.includes('UPSERT_WORKFLOW_SEARCH_ATTRIBUTES'),
  );
  await handle.signal(doneSignal);
  expect(await handle.result()).toBe('x');
  const history = await handle.fetchHistory();
  expect(typesOf(history.events!).slice(0, 8)).toEqual([
    'WORKFLOW_EXECUTION_STARTED',
    'WORKFLOW_TASK_SCHEDULED',
    'WORKFLOW_TASK_STARTED',
    'WORKFLOW_TASK_FAILED',
    'WORKFLOW_TASK_SCHEDULED',
    'WORKFLOW_TASK_STARTED',
    'WORKFLOW_TASK_COMPLETED',
    'UPSERT_WORKFLOW_SEARCH_ATTRIBUTES',
  ]);
  expect(history.events![4].workflowTaskScheduledEventAttributes!.attempt).toBeGreaterThanOrEqual(5);
  expect(decode(history.events![7].upsertWorkflowSearchAttributesEventAttributes!.searchAttributes!.indexedFields![name])).toEqual(['x']);
  await Worker.runReplayHistory({ workflowsPath }, history, handle.workflowId);
});
