import { condition, defineSignal, proxyActivities, setHandler, sleep } from '@temporalio/workflow';
import type { TestActivities } from '../activities';

const { greet } = proxyActivities<TestActivities>({ startToCloseTimeout: '10s' });
const { slow } = proxyActivities<TestActivities>({ startToCloseTimeout: '4s', retry: { initialInterval: '200ms' } });

export const proceedSignal = defineSignal('proceed');

export async function timerThenGreet(ms: number): Promise<string> {
  await sleep(ms);
  return await greet('after the timer');
}

export async function slowStep(key: string, ms: number): Promise<number> {
  return await slow(key, ms);
}

export async function waitForProceed(): Promise<string> {
  let go = false;
  setHandler(proceedSignal, () => void (go = true));
  await condition(() => go);
  return await greet('proceeding');
}
