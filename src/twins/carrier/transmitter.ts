import { setTimeout as delay } from 'node:timers/promises';
import type { CarrierStatus } from '../../carrier/types';
import type { Logger } from '../../log';
import { FINAL, type FaxStore, type TwinFax } from './fax-store';
import { fetchMedia } from './media';
import { planCall, simulatedCallSeconds } from './test-numbers';
import type { FaxEventType, WebhookSender } from './webhook-sender';

/**
 * Plays each fax through Telnyx's outbound life: queued → media.processed → originated →
 * sending → delivered | failed, taking `msPerPage` per transmitted page (and fractions of
 * it for the steps before). Outcomes follow the sandbox test numbers.
 */
export class Transmitter {
  private readonly running = new Map<string, { abort: AbortController; done: Promise<void> }>();

  constructor(
    private readonly store: FaxStore,
    private readonly webhooks: WebhookSender,
    private readonly msPerPage: number,
    private readonly log: Logger,
  ) {}

  start(fax: TwinFax): void {
    const abort = new AbortController();
    const done = this.run(fax, abort.signal)
      .catch((err: unknown) => {
        if (!abort.signal.aborted) this.log.error('simulated transmission crashed', { carrierFaxId: fax.id, err });
      })
      .finally(() => this.running.delete(fax.id));
    this.running.set(fax.id, { abort, done });
  }

  /**
   * After a restart: faxes not yet dialled start over (the document is fetched again);
   * calls that were in progress were cut off when the twin stopped, so they fail as a lost
   * carrier, with the pages that had gone through.
   */
  resume(): void {
    for (const fax of this.store.inFlight()) {
      if (fax.dialed) {
        const pagesSent = fax.page_count ?? 0;
        this.finish(fax, 'failed', { failure_reason: 'carrier_lost', call_duration_secs: simulatedCallSeconds(fax.status === 'sending', pagesSent) });
      } else {
        this.log.info('resuming a queued fax after restart', { carrierFaxId: fax.id });
        this.start(fax);
      }
    }
  }

  /** Stops a fax that is not final yet; false when it already was. */
  async cancel(fax: TwinFax): Promise<boolean> {
    if (FINAL.includes(fax.status)) return false;
    const run = this.running.get(fax.id);
    if (run) {
      run.abort.abort();
      await run.done;
    }
    if (FINAL.includes(fax.status)) return false;
    this.finish(fax, 'failed', { failure_reason: 'sender_canceled', call_duration_secs: simulatedCallSeconds(fax.status === 'sending', fax.page_count ?? 0) });
    return true;
  }

  /** Stops every simulation where it is; state stays as last saved. */
  async stop(): Promise<void> {
    const runs = [...this.running.values()];
    for (const r of runs) r.abort.abort();
    await Promise.all(runs.map((r) => r.done));
  }

  private async run(fax: TwinFax, signal: AbortSignal): Promise<void> {
    const step = Math.max(1, Math.round(this.msPerPage / 4));
    await delay(step, undefined, { signal });

    const media = await fetchMedia(fax.media_url, signal);
    // Parsing the PDF cannot be interrupted: a cancel or stop during it takes effect here.
    signal.throwIfAborted();
    if (!media.ok) {
      this.finish(fax, 'failed', { failure_reason: media.failureReason, page_count: 0, call_duration_secs: 0 });
      return;
    }
    this.advance(fax, 'media.processed', 'fax.media.processed', { document_pages: media.pages });
    await delay(step, undefined, { signal });

    const plan = planCall(fax.to, this.store.earlierCalls(fax));
    this.store.update(fax, { status: 'originated', dialed: true, page_count: 0 });

    if (plan.kind === 'unanswered') {
      await delay(step + plan.ringPages * this.msPerPage, undefined, { signal });
      this.finish(fax, 'failed', { failure_reason: plan.failureReason, call_duration_secs: 0 });
      return;
    }
    if (plan.kind === 'voice') {
      await delay(this.msPerPage, undefined, { signal });
      this.finish(fax, 'failed', { failure_reason: plan.failureReason, call_duration_secs: 20 });
      return;
    }

    await delay(step, undefined, { signal });
    this.advance(fax, 'sending', 'fax.sending.started', {});
    const pages = media.pages;
    const lastPage = plan.dropAfterPages === undefined ? pages : Math.min(plan.dropAfterPages, pages);
    for (let page = 1; page <= lastPage; page++) {
      await delay(this.msPerPage, undefined, { signal });
      this.store.update(fax, { page_count: page });
    }
    if (plan.dropAfterPages !== undefined) {
      this.finish(fax, 'failed', { failure_reason: plan.failureReason ?? 'receiver_call_dropped', call_duration_secs: simulatedCallSeconds(true, lastPage) });
    } else {
      this.finish(fax, 'delivered', { call_duration_secs: simulatedCallSeconds(true, pages) });
    }
  }

  private advance(fax: TwinFax, status: CarrierStatus, event: FaxEventType, changes: Partial<TwinFax>): void {
    this.store.update(fax, { ...changes, status });
    this.webhooks.send(fax, event);
  }

  private finish(fax: TwinFax, status: 'delivered' | 'failed', changes: Partial<TwinFax>): void {
    this.store.update(fax, { failure_reason: null, ...changes, status });
    this.log.info('simulated fax finished', { carrierFaxId: fax.id, status, failureReason: fax.failure_reason, pages: fax.page_count });
    this.webhooks.send(fax, status === 'delivered' ? 'fax.delivered' : 'fax.failed');
  }
}
