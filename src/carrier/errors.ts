import { APIConnectionError, APIError } from 'telnyx';

/**
 * What went wrong talking to the carrier. `invalid_request` is final (the same request will
 * fail again, e.g. an invalid number); `authentication` needs an operator (wrong key);
 * `not_found` names an unknown fax; `transient` (network, timeouts, 5xx, 429) may succeed
 * when retried — but a submission that failed transiently may still have gone through,
 * which is why `sendOnce` reconciles before submitting again.
 */
export type CarrierErrorKind = 'invalid_request' | 'authentication' | 'not_found' | 'transient';

export class CarrierError extends Error {
  constructor(
    readonly kind: CarrierErrorKind,
    message: string,
    /** HTTP status from the carrier, when there was a response. */
    readonly status?: number,
    /** The carrier's own error code (Telnyx `errors[0].code`), when given. */
    readonly carrierCode?: string,
  ) {
    super(message);
    this.name = 'CarrierError';
  }

  get retryable(): boolean {
    return this.kind === 'transient';
  }
}

interface TelnyxErrorBody {
  errors?: Array<{ code?: unknown; title?: unknown }>;
}

/** The first error's code and title from a Telnyx error body; never its detail, which may echo a number. */
function describe(body: unknown): { code?: string; title?: string } {
  const first = (body as TelnyxErrorBody | undefined)?.errors?.[0];
  return {
    code: typeof first?.code === 'string' || typeof first?.code === 'number' ? String(first.code) : undefined,
    title: typeof first?.title === 'string' ? first.title : undefined,
  };
}

/** Turns whatever the telnyx library threw into a CarrierError. */
export function toCarrierError(err: unknown, action: string): CarrierError {
  if (err instanceof CarrierError) return err;
  if (err instanceof APIConnectionError) return new CarrierError('transient', `${action}: carrier unreachable (${err.message})`);
  if (err instanceof APIError && typeof err.status === 'number') {
    const status = err.status;
    const { code, title } = describe(err.error);
    const message = `${action}: carrier answered ${status}${title ? ` ${title}` : ''}`;
    if (status === 401 || status === 403) return new CarrierError('authentication', message, status, code);
    if (status === 404) return new CarrierError('not_found', message, status, code);
    if (status === 408 || status === 429 || status >= 500) return new CarrierError('transient', message, status, code);
    return new CarrierError('invalid_request', message, status, code);
  }
  return new CarrierError('transient', `${action}: ${err instanceof Error ? err.message : String(err)}`);
}
