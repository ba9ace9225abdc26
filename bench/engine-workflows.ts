import { condition, defineSignal, proxyActivities, setHandler, sleep } from '@temporalio/workflow';

export interface BenchActivities {
  step(n: number): Promise<number>;
}

const { step } = proxyActivities<BenchActivities>({ startToCloseTimeout: '10s' });

/** The empty workflow of the throughput run: no activity, one workflow task. */
export async function emptyWorkflow(): Promise<number> {
  return 0;
}

export const doneSignal = defineSignal('done');

/** An open workflow for the memory figure: its first task runs, then it waits for a signal. */
export async function openWorkflow(): Promise<void> {
  let done = false;
  setHandler(doneSignal, () => void (done = true));
  await condition(() => done);
}

/** Waits on a timer of a week, as a fax waits out its retention: the idle open workflow of the memory figure. */
export async function retentionWait(): Promise<void> {
  await sleep('7 days');
}

/** The one-activity workflow of the throughput run. */
export async function shortWorkflow(): Promise<number> {
  return await step(1);
}

/** Fax-sized: 15 activities and (unless `timers` is false) three durable timers of an hour, a day and a week. */
export async function faxSized(timers: boolean): Promise<number> {
  let sum = 0;
  for (let i = 0; i < 15; i++) {
    sum += await step(i);
    if (timers && i === 4) await sleep('1 hour');
    if (timers && i === 9) await sleep('1 day');
    if (timers && i === 13) await sleep('7 days');
  }
  return sum;
}
