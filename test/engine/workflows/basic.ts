import * as wf from '@temporalio/workflow';
import type * as activities from '../activities';

const { greet } = wf.proxyActivities<typeof activities>({ startToCloseTimeout: '10s' });

export async function oneActivity(name: string): Promise<string> {
  return await greet(name);
}

export async function longSleep(days: number): Promise<number> {
  const t0 = Date.now();
  await wf.sleep(`${days} days`);
  await greet('after the sleep');
  return Date.now() - t0;
}
