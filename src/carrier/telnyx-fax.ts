import { decodeClientState } from './client-state';
import { CARRIER_STATUSES, type CarrierEvent, type CarrierFax, type CarrierStatus } from './types';

/**
 * Reading Telnyx's fax resources and fax webhooks into the carrier-neutral shapes. Telnyx
 * adds fields over time (`page_count`, `call_duration_secs` are not in every library type),
 * so everything is read defensively from plain objects.
 */
type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | null => (typeof v === 'string' && v.length > 0 ? v : null);
const count = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? Math.round(v) : null);

/** Telnyx statuses seen only on inbound faxes or before queueing are read as `queued`: never final. */
function toCarrierStatus(value: unknown): CarrierStatus {
  return (CARRIER_STATUSES as readonly unknown[]).includes(value) ? (value as CarrierStatus) : 'queued';
}

function toDate(value: unknown, fallback: Date): Date {
  const s = str(value);
  const d = s ? new Date(s) : fallback;
  return Number.isNaN(d.getTime()) ? fallback : d;
}

/** A Telnyx fax resource (`data` of GET /v2/faxes/:id, items of GET /v2/faxes). */
export function toCarrierFax(raw: unknown, now = new Date()): CarrierFax {
  const fax: Json = isObject(raw) ? raw : {};
  const id = str(fax.id);
  if (!id) throw new Error('carrier fax without an id');
  const status = toCarrierStatus(fax.status);
  return {
    id,
    status,
    to: str(fax.to) ?? '',
    failureReason: status === 'failed' ? (str(fax.failure_reason) ?? 'unknown') : null,
    pagesSent: count(fax.page_count),
    callDurationSecs: count(fax.call_duration_secs),
    clientState: decodeClientState(fax.client_state),
    createdAt: toDate(fax.created_at, now),
  };
}

/** The fax event types Telnyx sends for outbound faxes, with the status each reports. */
const FAX_EVENTS: Readonly<Record<string, CarrierStatus>> = {
  'fax.queued': 'queued',
  'fax.media.processed': 'media.processed',
  'fax.sending.started': 'sending',
  'fax.delivered': 'delivered',
  'fax.failed': 'failed',
};

export type ParsedWebhook =
  { kind: 'fax'; eventType: string; event: CarrierEvent } | { kind: 'ignored'; eventType: string; eventId: string | null } | { kind: 'invalid'; problem: string };

/**
 * A verified Telnyx webhook body (`{ data: { id, event_type, occurred_at, payload } }`).
 * Other event types are `ignored`; a fax event without its id or fax id is `invalid`.
 */
export function parseFaxWebhook(body: unknown, now = new Date()): ParsedWebhook {
  const data = isObject(body) && isObject(body.data) ? body.data : null;
  if (!data) return { kind: 'invalid', problem: 'no data object' };
  const eventType = str(data.event_type) ?? '';
  const eventId = str(data.id);
  if (!Object.prototype.hasOwnProperty.call(FAX_EVENTS, eventType)) return { kind: 'ignored', eventType, eventId };
  const payload = isObject(data.payload) ? data.payload : null;
  const carrierFaxId = payload ? str(payload.fax_id) : null;
  if (!eventId || !payload || !carrierFaxId) return { kind: 'invalid', problem: `${eventType} without event id or fax id` };
  const status = FAX_EVENTS[eventType];
  return {
    kind: 'fax',
    eventType,
    event: {
      eventId,
      carrierFaxId,
      status,
      occurredAt: toDate(data.occurred_at, now),
      failureReason: status === 'failed' ? (str(payload.failure_reason) ?? 'unknown') : null,
      pagesSent: count(payload.page_count),
      callDurationSecs: count(payload.call_duration_secs),
      clientState: decodeClientState(payload.client_state),
    },
  };
}
