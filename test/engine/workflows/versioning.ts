import { condition, setHandler, setWorkflowOptions, workflowInfo } from '@temporalio/workflow';
import { doneSignal } from './signals';

/** Waits to be told it is done; returns the build id of the worker that finished it. */
export async function buildIdAtEnd(): Promise<string> {
  let done = false;
  setHandler(doneSignal, () => void (done = true));
  await condition(() => done);
  return workflowInfo().currentDeploymentVersion?.buildId ?? 'unversioned';
}

/** The same, declared auto-upgrade: it moves to the current version at its next task. */
export async function buildIdAtEndAutoUpgrade(): Promise<string> {
  let done = false;
  setHandler(doneSignal, () => void (done = true));
  await condition(() => done);
  return workflowInfo().currentDeploymentVersion?.buildId ?? 'unversioned';
}
setWorkflowOptions({ versioningBehavior: 'AUTO_UPGRADE' }, buildIdAtEndAutoUpgrade);
