import type { Logger } from '../../log';
import type { DeliveryRecord, EventJson, StripeObjectJson } from './model';
import { newId, type TwinStore } from './store';

/**
 * The API version the twin speaks: the one the installed `stripe` library is typed for (a test
 * checks they agree). Stated here rather than read from the library, which the sandbox does not
 * load: the app's side is what uses it.
 */
export const TWIN_API_VERSION = '2026-10-28.endive';

/** Which API request caused an event (Stripe puts it on the event). */
export interface RequestRef {
  id: string | null;
  idempotencyKey: string | null;
}

export const NO_REQUEST: RequestRef = { id: null, idempotencyKey: null };

/** Everything the twin's operations share. */
export class TwinContext {
  /** Deliveries queued since the deliverer last took them (it keeps the ones still to send apart). */
  private queued: DeliveryRecord[] = [];

  constructor(
    readonly store: TwinStore,
    readonly opts: {
      baseUrl: string;
      holdWindowMs: number;
      webhookUrl: string | null;
      log: Logger;
      /** Called after events were queued for delivery. */
      onEvents: () => void;
    },
  ) {}

  get state(): TwinStore['state'] {
    return this.store.state;
  }

  get log(): Logger {
    return this.opts.log;
  }

  /** Records an event with a snapshot of the object, and queues it for the webhook endpoint. */
  emit(type: string, object: StripeObjectJson, request: RequestRef = NO_REQUEST, previous?: Record<string, unknown>): EventJson {
    const event: EventJson = {
      id: newId('evt'),
      object: 'event',
      api_version: TWIN_API_VERSION,
      created: this.store.seconds(),
      data: previous ? { object: structuredClone(object), previous_attributes: previous } : { object: structuredClone(object) },
      livemode: false,
      pending_webhooks: this.opts.webhookUrl ? 1 : 0,
      request: { id: request.id, idempotency_key: request.idempotencyKey },
      type,
    };
    this.state.events.set(event.id, event);
    this.store.changed('events', event.id);
    if (this.opts.webhookUrl) {
      const delivery: DeliveryRecord = { eventId: event.id, attempts: 0, nextAttemptAt: Date.now(), delivered: false, lastStatus: null };
      this.state.deliveries.set(event.id, delivery);
      this.queued.push(delivery);
      this.store.changed('deliveries', event.id);
    }
    this.store.eventAdded(event.id);
    this.log.debug('stripe twin event', { eventId: event.id, type, object: object.id });
    return event;
  }

  /** The deliveries queued since the last call. */
  takeQueued(): DeliveryRecord[] {
    const queued = this.queued;
    this.queued = [];
    return queued;
  }

  /** Persists state and starts delivering any new events. */
  async commit(): Promise<void> {
    await this.store.save();
    this.opts.onEvents();
  }
}
