import { ConversionProcess } from './conversion-process';
import { DEFAULT_LIMITS } from './limits';

interface Idle {
  proc: ConversionProcess;
  timer: NodeJS.Timeout;
}

/**
 * A long-running worker's conversion processes. At most `concurrency` documents convert at
 * once (the others wait their turn, in order of arrival), so a burst of uploads meets as many
 * processes as there are cores instead of one each; a process that answered waits for the next
 * document and goes after `idleMs` without one. A document takes the process that has
 * converted the most before (its MuPDF code optimised by V8), a new one only when none waits.
 * Processes alive, converting or waiting, stay at `concurrency` or fewer, but for a moment
 * while a killed one exits.
 */
export class ProcessPool {
  private readonly idle: Idle[] = [];
  /** Conversions holding a turn. */
  private running = 0;
  private readonly queue: Array<() => void> = [];

  constructor(
    readonly idleMs: number,
    readonly concurrency: number,
  ) {}

  /** Documents waiting for their turn. */
  get waiting(): number {
    return this.queue.length;
  }

  /** Waits for a turn to convert; call the returned function (once) when done. */
  async turn(): Promise<() => void> {
    if (this.running < this.concurrency) this.running++;
    else await new Promise<void>((resolve) => this.queue.push(resolve));
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const next = this.queue.shift();
      // The turn passes straight on: `running` counts it still.
      if (next) next();
      else this.running--;
    };
  }

  /**
   * A process for a document with `memoryMb` of budget: the warmest one waiting with that
   * budget, or a new one. `fresh` asks for a new one (a document that retires its process,
   * LibreOffice's, leaves the warm ones for the next).
   */
  take(memoryMb: number, fresh = false): ConversionProcess {
    this.prune();
    let best: Idle | undefined;
    if (!fresh) {
      for (const kept of this.idle) {
        if (kept.proc.memoryMb === memoryMb && (!best || kept.proc.documents > best.proc.documents)) best = kept;
      }
    }
    if (best) {
      this.remove(best);
      return best.proc;
    }
    // One with another budget has no use now: the worker gives all its documents one budget.
    for (const kept of this.idle.filter((k) => k.proc.memoryMb !== memoryMb)) this.end(kept);
    // The caller's turn now has a process of its own.
    this.fit(0);
    return ConversionProcess.start(memoryMb);
  }

  /**
   * Given back by a document that is done with it (its turn not yet over): `proc` waits for the
   * next document, or goes if it cannot convert again.
   */
  giveBack(proc: ConversionProcess): void {
    if (!proc.usable) return proc.killGroup();
    this.wait(proc);
    // The giver's turn no longer has a process.
    this.fit(1);
  }

  /**
   * A document is on its way (an upload began): the waiting processes get their idle time anew,
   * and, if none waits and a turn is free, one starts now so the document finds MuPDF
   * compiled. Resolves when a waiting process is ready, or could not start.
   */
  async imminent(): Promise<void> {
    this.prune();
    if (this.idle.length > 0) {
      for (const kept of this.idle) {
        clearTimeout(kept.timer);
        kept.timer = this.idleTimer(kept.proc);
      }
    } else if (this.running < this.concurrency) {
      this.wait(ConversionProcess.start(DEFAULT_LIMITS.memoryMb));
    }
    await this.idle[0]?.proc.ready.catch(() => undefined);
  }

  /** Ends every waiting process; conversions under way finish, their processes then go. */
  stop(): void {
    for (const kept of [...this.idle]) this.end(kept);
  }

  private wait(proc: ConversionProcess): void {
    this.idle.push({ proc, timer: this.idleTimer(proc) });
    // Once ready it only waits, and must not keep the worker alive.
    void proc.ready.then(
      () => this.idle.some((k) => k.proc === proc) && proc.setIdle(true),
      () => undefined,
    );
  }

  private idleTimer(proc: ConversionProcess): NodeJS.Timeout {
    const timer = setTimeout(() => {
      const kept = this.idle.find((k) => k.proc === proc);
      if (kept) this.end(kept);
    }, this.idleMs);
    timer.unref();
    return timer;
  }

  /** Forgets processes that died while they waited (killed, crashed). */
  private prune(): void {
    for (const kept of this.idle.filter((k) => !k.proc.usable)) this.end(kept);
  }

  /**
   * Ends the coldest waiting processes while there would be more processes than turns: every
   * turn holds one, but `without` turns that gave theirs back.
   */
  private fit(without: number): void {
    while (this.idle.length > 0 && this.running - without + this.idle.length > this.concurrency) {
      const coldest = this.idle.reduce((a, b) => (b.proc.documents < a.proc.documents ? b : a));
      this.end(coldest);
    }
  }

  private remove(kept: Idle): void {
    clearTimeout(kept.timer);
    this.idle.splice(this.idle.indexOf(kept), 1);
  }

  private end(kept: Idle): void {
    this.remove(kept);
    kept.proc.killGroup();
  }
}
