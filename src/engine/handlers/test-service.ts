import type { Engine } from '../engine';
import type { CallContext, Handler } from '../grpc/server';
import type { Duration, Timestamp } from '../proto';
import { durationMs, msTimestamp, timestampMs } from '../time';

let sleeps = 0;

/** Temporal's TestService: the clock controls the SDK's time-skipping test environment uses. */
export function testServiceHandlers(engine: Engine): Record<string, Handler> {
  const clock = engine.clock;
  const sleep = (ms: number, unlock: boolean, ctx: CallContext): Promise<object> => clock.sleep(Math.max(0, ms), `sleep/${++sleeps}`, unlock, ctx.onCancel).then(() => ({}));
  return {
    LockTimeSkipping: () => {
      clock.lock();
      return {};
    },
    UnlockTimeSkipping: () => {
      clock.unlock();
      return {};
    },
    UnlockTimeSkippingWithSleep: (req: { duration?: Duration | null }, ctx: CallContext) => sleep(durationMs(req.duration), true, ctx),
    /** Waits for clock time to pass without touching the lock. */
    Sleep: (req: { duration?: Duration | null }, ctx: CallContext) => sleep(durationMs(req.duration), false, ctx),
    SleepUntil: (req: { timestamp?: Timestamp | null }, ctx: CallContext) => sleep(timestampMs(req.timestamp) - clock.now(), false, ctx),
    GetCurrentTime: () => ({ time: msTimestamp(clock.now()) }),
  };
}

export function healthHandlers(): { unary: Record<string, Handler>; streams: Record<string, (req: unknown, write: (m: object) => void) => void> } {
  const SERVING = 1;
  return {
    unary: { Check: () => ({ status: SERVING }) },
    streams: { Watch: (_req, write) => write({ status: SERVING }) },
  };
}
