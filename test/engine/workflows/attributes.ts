import { condition, setHandler, upsertSearchAttributes } from '@temporalio/workflow';
import { doneSignal } from './signals';

/** Upserts a keyword search attribute named by the caller (registered or not), then waits to be told it is done. */
export async function upsertsAttribute(name: string, value: string): Promise<string> {
  upsertSearchAttributes({ [name]: [value] });
  let done = false;
  setHandler(doneSignal, () => void (done = true));
  await condition(() => done);
  return value;
}
