import type { Faxes } from '../db/faxes';
import type { Logger } from '../log';
import type { FaxWorkflows } from './fax-workflows';

export interface WorkflowStarterOptions {
  /** Pause between two looks for faxes without a workflow. */
  intervalMs: number;
  /** A fax younger than this is left to the request that accepts it, which starts its workflow itself. */
  graceMs: number;
  /** Faxes started per look, at most. */
  batch?: number;
}

/**
 * Starts the workflow of every fax that was accepted while Temporal was out of reach: the
 * upload's row and document are committed before the workflow is started, so a fax whose
 * start did not answer in time is never lost, only late. Starting is idempotent (a running
 * workflow counts as started), so several web processes may look at once.
 */
export class WorkflowStarter {
  private timer: NodeJS.Timeout | undefined;
  private round: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(
    private readonly faxes: Faxes,
    private readonly workflows: FaxWorkflows,
    private readonly log: Logger,
    private readonly options: WorkflowStarterOptions,
  ) {}

  /** Looks now and then every interval, until stopped. */
  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  /** Stops looking; resolves once a look in progress has ended. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.round;
  }

  /** One look: starts what waits, oldest first; returns how many were started. Stops at the first failure (Temporal is still out of reach). */
  async startWaiting(): Promise<number> {
    const waiting = await this.faxes.awaitingWorkflow(new Date(Date.now() - this.options.graceMs), this.options.batch ?? 50);
    let started = 0;
    for (const fax of waiting) {
      try {
        await this.workflows.start(fax.id, { country: fax.country });
      } catch (err) {
        this.log.warn('faxes wait for their workflow: Temporal does not answer', { waiting: waiting.length - started, error: err instanceof Error ? err.message : String(err) });
        break;
      }
      await this.faxes.workflowStarted(fax.id);
      started++;
    }
    if (started) this.log.info('workflows started for faxes accepted while Temporal was out of reach', { started });
    return started;
  }

  private schedule(delayMs: number): void {
    this.timer = setTimeout(() => {
      this.round = this.startWaiting().then(
        () => undefined,
        (err: unknown) => this.log.warn('could not look for faxes without a workflow', { error: err instanceof Error ? err.message : String(err) }),
      );
      void this.round.then(() => {
        if (!this.stopped) this.schedule(this.options.intervalMs);
      });
    }, delayMs);
    this.timer.unref();
  }
}
