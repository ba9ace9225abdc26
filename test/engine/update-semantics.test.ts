import { WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { id, withTimeSkippingWorker } from './harness';
import { doneSignal } from './workflows/signals';
import { waitForeverUpdate } from './workflows/updates';

/** Updates as the real server treats them when their workflow closes first. */
let env: TestWorkflowEnvironment;
let taskQueue: string;
withTimeSkippingWorker((context) => ({ env, taskQueue } = context));

const failureOf = async (p: Promise<unknown>): Promise<unknown> =>
  p.then(
    () => undefined,
    (e: unknown) => e,
  );

test('an accepted update still running when its workflow completes fails with the server failure, not an error', async () => {
  const handle = await env.client.workflow.start('leavesUpdateUnfinished', { taskQueue, workflowId: id('unfinished-update') });
  const update = await handle.startUpdate(waitForeverUpdate, { waitForStage: 'ACCEPTED', updateId: 'outlives' });
  await handle.signal(doneSignal);
  expect(await handle.result()).toBe('done');
  const err = await failureOf(update.result());
  expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
  const cause = (err as WorkflowUpdateFailedError).cause;
  expect(cause).toBeInstanceOf(ApplicationFailure);
  expect((cause as ApplicationFailure).type).toBe('AcceptedUpdateCompletedWorkflow');
  expect(cause?.message).toBe('Workflow Update failed because the Workflow completed before the Update completed.');
  // Asked again by id, on the closed workflow, it is the same update with the same outcome.
  const again = await failureOf(handle.getUpdateHandle('outlives').result());
  expect(again).toBeInstanceOf(WorkflowUpdateFailedError);
});
