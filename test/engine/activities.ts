import { ApplicationFailure, CompleteAsyncError, Context } from '@temporalio/activity';

/** What the test activities saw, for the tests to assert on. */
export class Probe {
  readonly attempts = new Map<string, { attempt: number; scheduledMs: number; heartbeatDetails: unknown }[]>();
  readonly events: string[] = [];
  /** Why a `stoppable` activity stopped, by key: the cancellation details its SDK context saw. */
  readonly stops = new Map<string, { paused: boolean; reset: boolean; cancelRequested: boolean }>();
  private readonly waiters = new Map<string, () => void>();
  private readonly gates = new Map<string, Promise<void>>();
  private readonly openers = new Map<string, () => void>();
  asyncToken: Uint8Array | undefined;

  record(key: string): number {
    const info = Context.current().info;
    const list = this.attempts.get(key) ?? [];
    list.push({ attempt: info.attempt, scheduledMs: info.currentAttemptScheduledTimestampMs, heartbeatDetails: info.heartbeatDetails as unknown });
    this.attempts.set(key, list);
    return info.attempt;
  }

  /** Marks that `name` happened; resolves anyone waiting for it. */
  mark(name: string): void {
    this.events.push(name);
    this.waiters.get(name)?.();
  }

  reached(name: string): Promise<void> {
    if (this.events.includes(name)) return Promise.resolve();
    return new Promise((resolve) => this.waiters.set(name, resolve));
  }

  /** A gate an activity waits at until the test opens it. */
  gate(name: string): Promise<void> {
    let g = this.gates.get(name);
    if (!g) {
      g = new Promise((resolve) => this.openers.set(name, resolve));
      this.gates.set(name, g);
    }
    return g;
  }

  open(name: string): void {
    void this.gate(name);
    this.openers.get(name)?.();
  }
}

export function createActivities(probe: Probe) {
  return {
    async greet(name: string): Promise<string> {
      return `Hello, ${name}!`;
    },

    /** Fails with a retryable error until attempt `succeedOn` (0 = never). */
    async flaky(key: string, succeedOn: number): Promise<number> {
      const attempt = probe.record(key);
      if (succeedOn === 0 || attempt < succeedOn) throw new Error(`flaky failure on attempt ${attempt}`);
      return attempt;
    },

    /** Fails with a business error of the given type. */
    async declines(key: string, type: string): Promise<void> {
      probe.record(key);
      throw ApplicationFailure.create({ type, message: 'card declined' });
    },

    /** Attempt 1 heartbeats `progress` and then stops responding; later attempts return what they were handed. */
    async heartbeatThenHang(key: string, progress: string): Promise<unknown> {
      const ctx = Context.current();
      const attempt = probe.record(key);
      if (attempt === 1) {
        ctx.heartbeat(progress);
        await ctx.sleep(60_000);
      }
      return ctx.info.heartbeatDetails as unknown;
    },

    /** Heartbeats until cancelled, then records the cancellation. */
    async sendSlowly(key: string): Promise<string> {
      const ctx = Context.current();
      probe.record(key);
      probe.mark(`${key}:started`);
      try {
        for (let i = 0; ; i++) {
          ctx.heartbeat(i);
          await ctx.sleep(50);
        }
      } catch (err) {
        probe.mark(`${key}:cancelled`);
        throw err;
      }
    },

    async compensate(key: string): Promise<void> {
      probe.mark(`${key}:compensated`);
    },

    /** Waits at a gate the test opens (a local activity here keeps its workflow task open). */
    async waitAtGate(name: string): Promise<string> {
      probe.mark(`${name}:waiting`);
      await probe.gate(name);
      return name;
    },

    /** Takes `ms` of real time (long enough to be cut off by a crash). */
    async slow(key: string, ms: number): Promise<number> {
      const attempt = probe.record(key);
      probe.mark(`${key}:started`);
      await Context.current().sleep(ms);
      return attempt;
    },

    /**
     * Heartbeats until it is first stopped (paused, reset or cancelled: the probe records which)
     * and fails as the SDK then makes it; any later attempt returns its attempt number. With
     * `failFirst`, its first attempt fails before it heartbeats.
     */
    async stoppable(key: string, failFirst: boolean): Promise<number> {
      const ctx = Context.current();
      const attempt = probe.record(key);
      if (failFirst && probe.attempts.get(key)?.length === 1) throw new Error('the first attempt fails');
      if (probe.stops.has(key)) return attempt;
      probe.mark(`${key}:heartbeating`);
      try {
        for (;;) {
          ctx.heartbeat();
          await ctx.sleep(50);
        }
      } catch (err) {
        const details = ctx.cancellationDetails;
        probe.stops.set(key, { paused: !!details?.paused, reset: !!details?.reset, cancelRequested: !!details?.cancelRequested });
        throw err;
      }
    },

    /** Returns `bytes` characters: more than the server takes as one payload when big enough. */
    async oversized(bytes: number): Promise<string> {
      return 'x'.repeat(bytes);
    },

    /** Completes later, from outside, by activity id. */
    async completeLater(): Promise<string> {
      probe.asyncToken = Context.current().info.taskToken;
      probe.mark('async:started');
      throw new CompleteAsyncError();
    },
  };
}

export type TestActivities = ReturnType<typeof createActivities>;
