import { chromiumPath } from './browser';
import { STACK_ENV, STACK_ERROR_ENV, startStack, type RunningStack } from './stack';

/**
 * The browser project's setup: one stack shared by every browser test file (jest runs it
 * only when a browser test is selected). Without Chromium nothing starts and the tests say
 * they were skipped. A stack that fails to start fails the browser tests with its reason,
 * and never the rest of the run.
 */
export default async function globalSetup(): Promise<void> {
  if (!chromiumPath()) return;
  try {
    const stack = await startStack();
    process.env[STACK_ENV] = JSON.stringify(stack.urls);
    (globalThis as { __durafaxStack?: RunningStack }).__durafaxStack = stack;
  } catch (err) {
    process.env[STACK_ERROR_ENV] = err instanceof Error ? err.message : String(err);
  }
}
