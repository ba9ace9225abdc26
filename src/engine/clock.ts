/**
 * The engine's clock and its durable timers' in-memory schedule.
 *
 * In normal mode it is the wall clock. In time-skipping mode (the TestService) it is virtual:
 * whenever nothing is locked (lock count ≤ 0) and no workflow or activity task is outstanding,
 * it jumps straight to the next timer, so days of `sleep()` pass in milliseconds. The lock
 * count starts at 1, as in Temporal's test server: the SDK's test client unlocks while it
 * awaits a workflow result and locks again afterwards.
 *
 * Timers are keyed: setting a key again replaces its timer, and clearing is cheap (entries
 * are flagged and dropped lazily from the heap).
 */
interface Entry {
  key: string;
  due: number;
  seq: number;
  live: boolean;
  fire: () => void;
}

const MAX_DELAY = 2 ** 31 - 1;

export class Clock {
  private offset = 0;
  private seq = 0;
  private locks = 1;
  private sleepers = 0;
  private readonly entries = new Map<string, Entry>();
  private heap: Entry[] = [];
  private real: NodeJS.Timeout | undefined;
  private realDue = Infinity;
  private skipQueued = false;
  private stopped = false;
  /** Re-checks now and then: a worker going away can unblock time without any state change. */
  private readonly recheck: NodeJS.Timeout | undefined;

  /**
   * @param timeSkipping virtual time that jumps ahead when idle
   * @param isBusy tells whether a task is outstanding (time must not skip past a running task's timeouts)
   * @param onError reports a timer callback that threw (the engine logs it; other timers go on)
   */
  constructor(
    readonly timeSkipping: boolean,
    private readonly isBusy: (ignoreRunningActivities: boolean) => boolean,
    private readonly onError: (err: unknown, key: string) => void,
  ) {
    if (timeSkipping) {
      this.recheck = setInterval(() => this.maybeSkip(), 500);
      this.recheck.unref();
    }
  }

  now(): number {
    return Date.now() + this.offset;
  }

  set(key: string, due: number, fire: () => void): void {
    this.clear(key);
    const e: Entry = { key, due, seq: ++this.seq, live: true, fire };
    this.entries.set(key, e);
    this.push(e);
    this.arm();
  }

  clear(key: string): void {
    const e = this.entries.get(key);
    if (e) {
      e.live = false;
      this.entries.delete(key);
    }
  }

  has(key: string): boolean {
    return this.entries.has(key);
  }

  lock(): void {
    this.locks++;
  }

  unlock(): void {
    this.locks--;
    this.maybeSkip();
  }

  /**
   * Sleeps `ms` of clock time, by default with time skipping unlocked meanwhile (the
   * TestService's UnlockTimeSkippingWithSleep). While a sleeper waits, activities that are running on a
   * worker do not hold the clock: an activity may itself be the one sleeping.
   */
  sleep(ms: number, key: string, unlock: boolean, onCancel: (fn: () => void) => void): Promise<void> {
    if (unlock) this.locks--;
    this.sleepers++;
    let done = false;
    const end = (): void => {
      if (done) return;
      done = true;
      this.clear(key);
      if (unlock) this.locks++;
      this.sleepers--;
    };
    return new Promise((resolve) => {
      this.set(key, this.now() + ms, () => {
        end();
        resolve();
      });
      // A caller that gives up must not leave the clock unlocked for good.
      onCancel(end);
      this.maybeSkip();
    });
  }

  /** Called after every state change: in time-skipping mode, jump ahead if nothing is going on. */
  maybeSkip(): void {
    if (!this.timeSkipping || this.skipQueued || this.stopped) return;
    this.skipQueued = true;
    setImmediate(() => {
      this.skipQueued = false;
      if (this.stopped || this.locks > 0 || this.isBusy(this.sleepers > 0)) return;
      const next = this.peek();
      if (!next) return;
      const delta = next.due - this.now();
      if (delta > 0) this.offset += delta;
      this.fireDue();
      this.maybeSkip();
    });
  }

  stop(): void {
    this.stopped = true;
    if (this.recheck) clearInterval(this.recheck);
    if (this.real) clearTimeout(this.real);
    this.real = undefined;
  }

  private push(e: Entry): void {
    const h = this.heap;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (before(h[p], h[i])) break;
      [h[p], h[i]] = [h[i], h[p]];
      i = p;
    }
  }

  private pop(): Entry | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (h.length && last) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && before(h[l], h[m])) m = l;
        if (r < h.length && before(h[r], h[m])) m = r;
        if (m === i) break;
        [h[m], h[i]] = [h[i], h[m]];
        i = m;
      }
    }
    return top;
  }

  private peek(): Entry | undefined {
    while (this.heap.length && !this.heap[0].live) this.pop();
    return this.heap[0];
  }

  private fireDue(): void {
    const now = this.now();
    for (let e = this.peek(); e && e.due <= now; e = this.peek()) {
      this.pop();
      e.live = false;
      this.entries.delete(e.key);
      try {
        e.fire();
      } catch (err) {
        this.onError(err, e.key);
      }
    }
    this.arm();
  }

  /** Keeps one real timeout armed for the earliest entry. */
  private arm(): void {
    if (this.stopped) return;
    const next = this.peek();
    const due = next ? next.due : Infinity;
    if (this.real && due >= this.realDue) return;
    if (this.real) clearTimeout(this.real);
    this.real = undefined;
    this.realDue = Infinity;
    if (!next) return;
    this.realDue = due;
    this.real = setTimeout(
      () => {
        this.real = undefined;
        this.realDue = Infinity;
        this.fireDue();
      },
      Math.min(MAX_DELAY, Math.max(0, due - this.now())),
    );
  }
}

function before(a: Entry, b: Entry): boolean {
  return a.due < b.due || (a.due === b.due && a.seq < b.seq);
}
