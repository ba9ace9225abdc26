import type { RunningStack } from './stack';

export default async function globalTeardown(): Promise<void> {
  const stack = (globalThis as { __durafaxStack?: RunningStack }).__durafaxStack;
  if (stack) await stack.stop();
}
