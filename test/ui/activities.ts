import { heartbeat, sleep } from '@temporalio/activity';

/** Activities run in the test process, so a test can hold one open and release it. */
export const releases = new Map<string, () => void>();

export async function greet(name: string): Promise<string> {
  return `Hello, ${name}`;
}

/** Runs until the test releases `label` (heartbeating, so a cancel reaches it). */
export async function holdOn(label: string): Promise<void> {
  let released = false;
  releases.set(label, () => {
    released = true;
  });
  while (!released) {
    heartbeat();
    await sleep(100);
  }
}
