import { randomUUID, type KeyObject } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import type { Logger } from '../../log';
import type { TwinFax } from './fax-store';
import { signWebhook } from './signing-key';

export type FaxEventType = 'fax.queued' | 'fax.media.processed' | 'fax.sending.started' | 'fax.delivered' | 'fax.failed';

/** One delivery attempt of one webhook, kept for tests and for the twin's own log. */
export interface DeliveryRecord {
  eventId: string;
  eventType: FaxEventType;
  carrierFaxId: string;
  attempt: number;
  /** HTTP status of the answer; 0 when the receiver could not be reached. */
  status: number;
}

const DELIVERY_TIMEOUT_MS = 10_000;
/** A long-running sandbox keeps only the latest delivery records. */
const MAX_RECORDS = 1000;

/**
 * Sends fax webhooks like Telnyx: `{ data: { event_type, id, occurred_at, payload,
 * record_type }, meta: { attempt, delivered_to } }`, Ed25519-signed, retried after a
 * non-2xx answer or a network error. One queue per fax keeps its events in order, as they
 * mostly are in reality; a receiver must still cope with repeats (every retry has the same
 * event id) and with order broken by retries.
 */
export class WebhookSender {
  private readonly queues = new Map<string, Promise<void>>();
  private readonly records: DeliveryRecord[] = [];

  constructor(
    private readonly privateKey: KeyObject,
    private readonly defaultUrl: string | undefined,
    private readonly retryDelaysMs: readonly number[],
    private readonly signal: AbortSignal,
    private readonly log: Logger,
    /** Resolves once the fax's state the event reports is on disk. */
    private readonly durable: () => Promise<void> = () => Promise.resolve(),
  ) {}

  deliveries(): readonly DeliveryRecord[] {
    return this.records;
  }

  /** Queues the event for the fax's current state; returns at once. */
  send(fax: TwinFax, eventType: FaxEventType): void {
    const url = fax.webhook_url ?? this.defaultUrl;
    if (!url) return;
    const eventId = randomUUID();
    const data = { event_type: eventType, id: eventId, occurred_at: new Date().toISOString(), payload: payloadOf(fax, eventType), record_type: 'event' };
    const previous = this.queues.get(fax.id) ?? Promise.resolve();
    const next = previous.then(() => this.deliver(url, fax.id, eventId, eventType, data));
    this.queues.set(fax.id, next);
    void next.finally(() => {
      if (this.queues.get(fax.id) === next) this.queues.delete(fax.id);
    });
  }

  /** Resolves when every queued webhook was delivered or given up. */
  async idle(): Promise<void> {
    while (this.queues.size > 0) await Promise.all(this.queues.values());
  }

  private async deliver(url: string, carrierFaxId: string, eventId: string, eventType: FaxEventType, data: object): Promise<void> {
    // A reported status must survive a crash of the twin; a disk that fails is logged by the store.
    await this.durable().catch(() => undefined);
    for (let attempt = 1; attempt <= this.retryDelaysMs.length + 1; attempt++) {
      if (this.signal.aborted) return;
      const body = JSON.stringify({ data, meta: { attempt, delivered_to: url } });
      let status = 0;
      try {
        const res = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...signWebhook(body, this.privateKey) },
          body,
          signal: AbortSignal.any([this.signal, AbortSignal.timeout(DELIVERY_TIMEOUT_MS)]),
        });
        status = res.status;
        await res.body?.cancel();
      } catch {
        if (this.signal.aborted) return;
      }
      this.records.push({ eventId, eventType, carrierFaxId, attempt, status });
      if (this.records.length > MAX_RECORDS) this.records.splice(0, this.records.length - MAX_RECORDS);
      if (status >= 200 && status < 300) return;
      const wait = this.retryDelaysMs[attempt - 1];
      if (wait === undefined) break;
      this.log.debug('webhook not accepted; will retry', { carrierFaxId, eventType, attempt, status });
      try {
        await delay(wait, undefined, { signal: this.signal });
      } catch {
        return;
      }
    }
    this.log.warn('webhook given up', { carrierFaxId, eventType });
  }
}

function payloadOf(fax: TwinFax, eventType: FaxEventType): Record<string, unknown> {
  const payload: Record<string, unknown> = {
    connection_id: fax.connection_id,
    direction: 'outbound',
    fax_id: fax.id,
    from: fax.from,
    to: fax.to,
    original_media_url: fax.media_url,
    status: fax.status,
    user_id: SANDBOX_USER_ID,
  };
  if (fax.client_state !== null) payload.client_state = fax.client_state;
  if (eventType === 'fax.delivered' || eventType === 'fax.failed') {
    payload.page_count = fax.page_count ?? 0;
    payload.call_duration_secs = fax.call_duration_secs ?? 0;
  }
  if (eventType === 'fax.failed') payload.failure_reason = fax.failure_reason;
  return payload;
}

/** The one account the sandbox pretends to be. */
const SANDBOX_USER_ID = '00000000-0000-4000-8000-00000000fa55';
