import { CancellationScope, isCancellation, sleep } from '@temporalio/workflow';

/**
 * A card hold lapses at its capture deadline. The guard waits until shortly before it and then
 * runs `capture` (which decides whether there is still something to capture), unless it is
 * stopped first because the fax became final.
 */
export class HoldGuard {
  private readonly scope = new CancellationScope();
  private readonly done: Promise<void>;

  constructor(captureAt: number, capture: () => Promise<void>) {
    this.done = this.scope
      .run(async () => {
        await sleep(Math.max(0, captureAt - Date.now()));
        await CancellationScope.nonCancellable(capture);
      })
      .catch((err: unknown) => {
        if (!isCancellation(err)) throw err;
      });
  }

  /** Cancels the wait (a capture already under way finishes) and waits for the guard to end. */
  async stop(): Promise<void> {
    this.scope.cancel();
    await this.done;
  }
}
