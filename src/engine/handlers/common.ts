import { invalidArgument } from '../grpc/errors';
import type { CallContext } from '../grpc/server';
import type { Execution } from '../model/state';
import { isNegative } from '../time';
import type { Duration } from '../proto';

/** Long polls answer empty before the client's deadline, and at least every 55 s. */
export function pollTimeout(ctx: CallContext): number {
  return Math.max(0, Math.min(55_000, ctx.remainingMs() - 1_000));
}

export function required(value: string | null | undefined, what: string): string {
  if (!value) throw invalidArgument(`${what} is not set on request.`);
  return value;
}

export function noNegative(fields: Record<string, Duration | null | undefined>): void {
  for (const [name, d] of Object.entries(fields)) if (isNegative(d)) throw invalidArgument(`Invalid ${name}: must not be negative.`);
}

/** Waits until `done()` holds after a change to `run`, or the long poll times out. */
export function waitForRun(run: Execution, done: () => boolean, ctx: CallContext): Promise<void> {
  if (done()) return Promise.resolve();
  return new Promise((resolve) => {
    const finish = (): void => {
      clearTimeout(timer);
      run.waiters.delete(check);
      resolve();
    };
    const check = (): void => {
      if (done()) finish();
    };
    const timer = setTimeout(finish, pollTimeout(ctx));
    run.waiters.add(check);
    ctx.onCancel(finish);
  });
}
