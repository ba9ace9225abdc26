import { createHmac } from 'node:crypto';
import type { TwinContext } from './context';
import type { DeliveryRecord } from './model';

/** Stripe retries a failed delivery for up to three days with growing pauses. */
export const DEFAULT_RETRY_DELAYS_MS = [60_000, 5 * 60_000, 30 * 60_000, 2 * 3600_000, 5 * 3600_000, 10 * 3600_000, 24 * 3600_000, 24 * 3600_000];
const ATTEMPT_TIMEOUT_MS = 10_000;
/** When the state cannot be written, the next try at a delivery waits this long. */
const DISK_RETRY_MS = 5_000;

/**
 * The `Stripe-Signature` header Stripe sends with an event: the time (seconds) and an
 * HMAC-SHA256, in hex, of `<time>.<payload>` keyed with the endpoint's signing secret. The app
 * checks it with the official library (`stripe.webhooks.constructEvent`).
 */
export function signatureHeader(payload: string, secret: string, timestamp: number): string {
  const v1 = createHmac('sha256', secret).update(`${timestamp}.${payload}`, 'utf8').digest('hex');
  return `t=${timestamp},v1=${v1}`;
}

/** Whether a delivery is still to be sent (not delivered, not given up). */
const pending = (d: DeliveryRecord): boolean => !d.delivered && d.nextAttemptAt !== null;

/**
 * Sends events to the webhook endpoint, signed like Stripe (`Stripe-Signature: t=…,v1=…`),
 * retrying non-2xx answers and network errors after the configured pauses. Deliveries are
 * part of the persisted state, so a restart resumes the ones still due.
 */
export class WebhookDeliverer {
  private timer: NodeJS.Timeout | null = null;
  private readonly inFlight = new Map<string, Promise<void>>();
  private readonly abort = new AbortController();
  private stopped = false;
  /**
   * The deliveries still to send (or to try again): the only ones looked at, however many
   * events the twin keeps (every delivery was scanned at every turn before, 60,000 after
   * 10,000 faxes).
   */
  private readonly waiting = new Set<DeliveryRecord>();

  constructor(
    private readonly ctx: TwinContext,
    private readonly opts: { url: string; secret: string; retryDelaysMs: number[] },
  ) {
    // Pending deliveries are never paged out.
    for (const d of ctx.state.deliveries.residentValues()) if (pending(d)) this.waiting.add(d);
    ctx.takeQueued();
  }

  /** Starts every delivery that is due and schedules the next one. */
  kick(): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    for (const d of this.ctx.takeQueued()) this.waiting.add(d);
    const now = Date.now();
    let next = Infinity;
    for (const d of this.waiting) {
      const at = d.nextAttemptAt;
      if (d.delivered || at === null) this.waiting.delete(d);
      else if (this.inFlight.has(d.eventId)) continue;
      else if (at <= now) this.start(d);
      else next = Math.min(next, at);
    }
    if (next !== Infinity) {
      this.timer = setTimeout(() => this.kick(), Math.max(0, next - now));
      this.timer.unref();
    }
  }

  private start(d: DeliveryRecord): void {
    const run = this.attempt(d)
      .catch((err: unknown) => this.ctx.log.error('stripe twin webhook bookkeeping failed', { err, eventId: d.eventId }))
      .finally(() => {
        this.inFlight.delete(d.eventId);
        this.kick();
      });
    this.inFlight.set(d.eventId, run);
  }

  private async attempt(d: DeliveryRecord): Promise<void> {
    const event = this.ctx.state.events.get(d.eventId);
    if (!event) {
      this.waiting.delete(d);
      this.ctx.state.deliveries.delete(d.eventId);
      this.ctx.store.changed('deliveries', d.eventId);
      await this.ctx.store.save();
      return;
    }
    // Only what is on disk is reported: the event may come from a change still being written.
    await this.ctx.store.save().catch((err: unknown) => {
      d.nextAttemptAt = Date.now() + DISK_RETRY_MS;
      throw err;
    });
    const payload = JSON.stringify(event, null, 2);
    const signature = signatureHeader(payload, this.opts.secret, Math.floor(Date.now() / 1000));
    let status = 0;
    try {
      const res = await fetch(this.opts.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json; charset=utf-8',
          'stripe-signature': signature,
          'user-agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
        },
        body: payload,
        signal: AbortSignal.any([this.abort.signal, AbortSignal.timeout(ATTEMPT_TIMEOUT_MS)]),
      });
      status = res.status;
      await res.arrayBuffer();
    } catch (err) {
      if (this.stopped) return;
      this.ctx.log.debug('stripe twin webhook delivery failed', { eventId: d.eventId, err });
    }
    d.attempts += 1;
    d.lastStatus = status || null;
    this.ctx.store.changed('deliveries', d.eventId);
    if (status >= 200 && status < 300) {
      d.delivered = true;
      d.nextAttemptAt = null;
      event.pending_webhooks = 0;
      this.ctx.store.changed('events', event.id);
    } else if (d.attempts > this.opts.retryDelaysMs.length) {
      d.nextAttemptAt = null;
      this.ctx.log.warn('stripe twin gave up delivering a webhook', { eventId: d.eventId, type: event.type, attempts: d.attempts, status });
    } else {
      d.nextAttemptAt = Date.now() + this.opts.retryDelaysMs[d.attempts - 1];
    }
    await this.ctx.store.save();
  }

  /** Waits until nothing is in flight and no delivery is due; for tests. */
  async idle(timeoutMs = 10_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      for (const d of this.ctx.takeQueued()) this.waiting.add(d);
      const due = [...this.waiting].some((d) => pending(d) && (d.nextAttemptAt ?? Infinity) <= Date.now() + 50);
      if (this.inFlight.size === 0 && !due) return;
      if (Date.now() > until) throw new Error('webhook deliveries did not settle in time');
      await Promise.race([...this.inFlight.values(), new Promise((r) => setTimeout(r, 20))]);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.abort.abort();
    await Promise.allSettled([...this.inFlight.values()]);
  }
}
