import { chromiumPath } from './browser';
import { STACK_ENV, startStack, type RunningStack } from './stack';

/**
 * The browser project's setup: one stack shared by every browser test file (jest runs it
 * only when a browser test is selected). Without Chromium nothing starts and the tests say
 * they were skipped.
 */
export default async function globalSetup(): Promise<void> {
  if (!chromiumPath()) return;
  const stack = await startStack();
  process.env[STACK_ENV] = JSON.stringify(stack.urls);
  (globalThis as { __durafaxStack?: RunningStack }).__durafaxStack = stack;
}
