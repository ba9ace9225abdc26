import { condition, defineQuery, defineSignal, proxyActivities, setHandler } from '@temporalio/workflow';
import type * as activities from './activities';

const { greet } = proxyActivities<typeof activities>({ startToCloseTimeout: '10s' });
const { holdOn } = proxyActivities<typeof activities>({ startToCloseTimeout: '1m', heartbeatTimeout: '10s' });

export const proceedSignal = defineSignal<[string]>('proceed');
export const stepQuery = defineQuery<string>('step');

/** Completes at once: a closed workflow with an activity in its history. */
export async function quickGreeting(name: string): Promise<string> {
  return greet(name);
}

/** Waits for a signal, then runs an activity the test holds open: a running workflow with a pending activity. */
export async function supportCase(label: string): Promise<string> {
  let step = 'waiting for proceed';
  let note = '';
  setHandler(stepQuery, () => step);
  setHandler(proceedSignal, (n) => {
    note = n;
  });
  await condition(() => note !== '');
  step = 'holding on';
  await holdOn(label);
  step = 'done';
  return `${label}: ${note}`;
}
