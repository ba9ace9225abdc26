import { APIConnectionError, APIError } from 'telnyx';

/**
 * What went wrong talking to the carrier. `invalid_request` is final (the same request will
 * fail again, e.g. an invalid number); `authentication` needs an operator (wrong key);
 * `not_found` names an unknown fax; `transient` (network, timeouts, 5xx, 429) may succeed
 * when retried — but a submission that failed transiently may still have gone through,
 * which is why `sendOnce` reconciles before submitting again.
 */
export type CarrierErrorKind = 'invalid_request' | 'authentication' | 'not_found' | 'transient';

/** Telnyx codes that mean the number itself is refused: inactive (10001), invalid (10002). */
const DESTINATION_CODES = new Set(['10001', '10002']);

export class CarrierError extends Error {
  constructor(
    readonly kind: CarrierErrorKind,
    message: string,
    /** HTTP status from the carrier, when there was a response. */
    readonly status?: number,
    /** The carrier's own error code (Telnyx `errors[0].code`), when given. */
    readonly carrierCode?: string,
    /** The request field the carrier names as wrong (Telnyx `errors[0].source.pointer` without its slash). */
    readonly field?: string,
  ) {
    super(message);
    this.name = 'CarrierError';
  }

  get retryable(): boolean {
    return this.kind === 'transient';
  }

  /**
   * A refusal of the destination number itself: the sender's to fix. Any other refused request
   * (our caller id, connection id, media link) is ours: an operator's to fix, not the sender's.
   */
  get refusesDestination(): boolean {
    return this.kind === 'invalid_request' && (this.field === 'to' || (this.carrierCode !== undefined && DESTINATION_CODES.has(this.carrierCode)));
  }
}

interface TelnyxErrorBody {
  errors?: Array<{ code?: unknown; title?: unknown; source?: { pointer?: unknown } }>;
}

/** The first error's code, title and field from a Telnyx error body; never its detail, which may echo a number. */
function describe(body: unknown): { code?: string; title?: string; field?: string } {
  const first = (body as TelnyxErrorBody | undefined)?.errors?.[0];
  const pointer = first?.source?.pointer;
  return {
    code: typeof first?.code === 'string' || typeof first?.code === 'number' ? String(first.code) : undefined,
    title: typeof first?.title === 'string' ? first.title : undefined,
    field: typeof pointer === 'string' && /^\/[a-z_]+$/.test(pointer) ? pointer.slice(1) : undefined,
  };
}

/** Turns whatever the telnyx library threw into a CarrierError. */
export function toCarrierError(err: unknown, action: string): CarrierError {
  if (err instanceof CarrierError) return err;
  if (err instanceof APIConnectionError) return new CarrierError('transient', `${action}: carrier unreachable (${err.message})`);
  if (err instanceof APIError && typeof err.status === 'number') {
    const status = err.status;
    const { code, title, field } = describe(err.error);
    const message = `${action}: carrier answered ${status}${title ? ` ${title}` : ''}${field ? ` (${field})` : ''}`;
    if (status === 401 || status === 403) return new CarrierError('authentication', message, status, code);
    if (status === 404) return new CarrierError('not_found', message, status, code);
    if (status === 408 || status === 429 || status >= 500) return new CarrierError('transient', message, status, code);
    return new CarrierError('invalid_request', message, status, code, field);
  }
  return new CarrierError('transient', `${action}: ${err instanceof Error ? err.message : String(err)}`);
}
