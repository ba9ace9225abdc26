/**
 * The engine's floor, for comparison with the fax workflow: a workflow that does nothing,
 * and one that runs a single activity that does nothing. Bundled by the baseline worker.
 */
import { proxyActivities } from '@temporalio/workflow';

export interface BaselineActivities {
  nothing(): Promise<void>;
}

const { nothing } = proxyActivities<BaselineActivities>({ startToCloseTimeout: '30s' });

export async function emptyWorkflow(): Promise<void> {
  return;
}

export async function oneActivityWorkflow(): Promise<void> {
  await nothing();
}
