import { randomUUID } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { WithStartWorkflowOperation, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { google, temporal } from '@temporalio/proto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { id, withTimeSkippingWorker } from './harness';
import { doneSignal, noteSignal } from './workflows/signals';
import { addNoteUpdate } from './workflows/updates';

/** Update-with-start (ExecuteMultiOperation), with the real server's errors. */
let env: TestWorkflowEnvironment;
let taskQueue: string;
withTimeSkippingWorker((context) => ({ env, taskQueue } = context));

const failureOf = async (p: Promise<unknown>): Promise<unknown> =>
  p.then(
    () => undefined,
    (e: unknown) => e,
  );

/** The per-operation statuses the real server puts in MultiOperationExecutionFailure. */
function operationStatuses(err: grpc.ServiceError): { code: number; message: string }[] {
  const status = google.rpc.Status.decode(err.metadata.get('grpc-status-details-bin')[0] as Buffer);
  const failure = temporal.api.errordetails.v1.MultiOperationExecutionFailure.decode(status.details[0].value!);
  return failure.statuses.map((s) => ({ code: s.code!, message: s.message! }));
}

test('update-with-start starts the workflow and updates it; again with USE_EXISTING it updates the running one', async () => {
  const workflowId = id('uws');
  const op = () => new WithStartWorkflowOperation('updatable', { workflowId, taskQueue, workflowIdConflictPolicy: 'USE_EXISTING' });
  const first = op();
  expect(await env.client.workflow.executeUpdateWithStart(addNoteUpdate, { args: ['one'], startWorkflowOperation: first })).toBe('Hello, one!');
  const handle = await first.workflowHandle();
  const second = op();
  expect(await env.client.workflow.executeUpdateWithStart(addNoteUpdate, { args: ['two'], startWorkflowOperation: second })).toBe('Hello, two!');
  expect((await (await second.workflowHandle()).describe()).runId).toBe((await handle.describe()).runId);
  await handle.signal(doneSignal);
  expect(await handle.result()).toEqual(['one', 'two']);
  expect((await env.client.workflow.count(`WorkflowId = '${workflowId}'`)).count).toBe(1);
});

test('with conflict policy FAIL a running workflow id is already started', async () => {
  const workflowId = id('uws-fail');
  const running = await env.client.workflow.start('updatable', { taskQueue, workflowId });
  const op = new WithStartWorkflowOperation('updatable', { workflowId, taskQueue, workflowIdConflictPolicy: 'FAIL' });
  const err = await failureOf(env.client.workflow.executeUpdateWithStart(addNoteUpdate, { args: ['x'], startWorkflowOperation: op }));
  expect(err).toBeInstanceOf(WorkflowExecutionAlreadyStartedError);
  await running.terminate('test finished');
});

test('requests the real server refuses: the errors and per-operation statuses it gives', async () => {
  const svc = env.connection.workflowService;
  const workflowId = `uws-${randomUUID()}`;
  const startWorkflow = {
    namespace: 'default',
    workflowId,
    workflowType: { name: 'updatable' },
    taskQueue: { name: taskQueue },
    requestId: randomUUID(),
    workflowIdConflictPolicy: 2,
  };
  const updateWorkflow = {
    namespace: 'default',
    workflowExecution: { workflowId },
    request: { meta: { updateId: 'u1' }, input: { name: 'addNote' } },
    waitPolicy: { lifecycleStage: 2 },
  };

  const onlyStart = (await failureOf(svc.executeMultiOperation({ namespace: 'default', operations: [{ startWorkflow }] }))) as grpc.ServiceError;
  expect(onlyStart.code).toBe(grpc.status.INVALID_ARGUMENT);
  expect(onlyStart.details).toBe('Operations have to be exactly [Start, Update].');

  const cron = (await failureOf(
    svc.executeMultiOperation({ namespace: 'default', operations: [{ startWorkflow: { ...startWorkflow, cronSchedule: '@daily' } }, { updateWorkflow }] }),
  )) as grpc.ServiceError;
  expect(cron.code).toBe(grpc.status.INVALID_ARGUMENT);
  expect(operationStatuses(cron)).toEqual([
    { code: grpc.status.INVALID_ARGUMENT, message: 'CronSchedule is not allowed.' },
    { code: grpc.status.ABORTED, message: 'Operation was aborted.' },
  ]);

  const otherId = (await failureOf(
    svc.executeMultiOperation({ namespace: 'default', operations: [{ startWorkflow }, { updateWorkflow: { ...updateWorkflow, workflowExecution: { workflowId: 'another' } } }] }),
  )) as grpc.ServiceError;
  expect(operationStatuses(otherId)[1]).toEqual({ code: grpc.status.INVALID_ARGUMENT, message: 'WorkflowId is not consistent with previous operation(s).' });

  // Signal-with-start that may only start is refused too.
  const sws = (await failureOf(svc.signalWithStartWorkflowExecution({ ...startWorkflow, workflowIdConflictPolicy: 1, signalName: noteSignal.name }))) as grpc.ServiceError;
  expect(sws.code).toBe(grpc.status.INVALID_ARGUMENT);
  expect(sws.details).toBe('Invalid WorkflowIDConflictPolicy: WORKFLOW_ID_CONFLICT_POLICY_FAIL is not supported for this operation.');
});
