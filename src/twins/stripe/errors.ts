/** Stripe's error body: `{ error: { type, code, decline_code, message, param, … } }`. */
type StripeErrorType = 'api_error' | 'card_error' | 'idempotency_error' | 'invalid_request_error';

export interface StripeErrorBody {
  type: StripeErrorType;
  message: string;
  code?: string;
  decline_code?: string;
  param?: string;
  doc_url?: string;
  payment_intent?: unknown;
  charge?: string;
}

/** An API failure answered with Stripe's status code and error body. */
export class TwinApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: StripeErrorBody,
    readonly headers: Record<string, string> = {},
  ) {
    super(body.message);
    this.name = 'TwinApiError';
  }

  /** Whether Stripe would save this result under the request's idempotency key. */
  get storable(): boolean {
    // Stripe saves results only once the endpoint started executing: not for failed
    // validation, authentication, rate limiting or a concurrent request with the same key.
    if ([401, 409, 429].includes(this.status)) return false;
    return !(this.body.type === 'invalid_request_error' && this.body.param !== undefined && this.body.code !== 'resource_missing');
  }
}

const docUrl = (code: string): string => `https://stripe.com/docs/error-codes/${code.replace(/_/g, '-')}`;

export function invalidParam(param: string, message: string, code = 'parameter_invalid'): TwinApiError {
  return new TwinApiError(400, { type: 'invalid_request_error', code, message, param, doc_url: docUrl(code) });
}

export function missingParam(param: string): TwinApiError {
  return invalidParam(param, `Missing required param: ${param}.`, 'parameter_missing');
}

/** `resource` is Stripe's object name, e.g. `checkout.session`, `payment_intent`. */
export function noSuchResource(resource: string, id: string, param: string): TwinApiError {
  return new TwinApiError(404, {
    type: 'invalid_request_error',
    code: 'resource_missing',
    message: `No such ${resource}: '${id}'`,
    param,
    doc_url: docUrl('resource_missing'),
  });
}

export function unexpectedState(message: string, paymentIntent?: unknown): TwinApiError {
  return new TwinApiError(400, {
    type: 'invalid_request_error',
    code: 'payment_intent_unexpected_state',
    message,
    doc_url: docUrl('payment_intent_unexpected_state'),
    payment_intent: paymentIntent,
  });
}

export function invalidRequest(code: string, message: string): TwinApiError {
  return new TwinApiError(400, { type: 'invalid_request_error', code, message, doc_url: docUrl(code) });
}

export function unrecognizedUrl(method: string, path: string): TwinApiError {
  return new TwinApiError(404, {
    type: 'invalid_request_error',
    message: `Unrecognized request URL (${method}: ${path}). Please see https://stripe.com/docs or we can help at https://support.stripe.com/.`,
  });
}

export function authenticationFailed(message: string): TwinApiError {
  return new TwinApiError(401, { type: 'invalid_request_error', message });
}

export function idempotencyMismatch(key: string, sameEndpoint: boolean): TwinApiError {
  return new TwinApiError(400, {
    type: 'idempotency_error',
    message: sameEndpoint
      ? `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${key}' if you meant to execute a different request.`
      : `Keys for idempotent requests can only be used for the same endpoint they were first used for ('${key}'). Try using a key other than '${key}' if you meant to execute a different request.`,
  });
}

export function idempotencyInUse(key: string): TwinApiError {
  return new TwinApiError(409, {
    type: 'invalid_request_error',
    code: 'idempotency_key_in_use',
    message: `There is currently another in-progress request using this Idempotent Key (that probably means you submitted twice, and the other request is still going through): ${key}. Please try again later.`,
  });
}

/** A fault injected by a test: the status and code Stripe would send for it. */
export interface InjectedFault {
  status: number;
  type?: StripeErrorType;
  code?: string;
  message?: string;
  /** Stripe-Should-Retry header, when Stripe would send one. */
  shouldRetry?: boolean;
}

export function injected(fault: InjectedFault): TwinApiError {
  const headers: Record<string, string> = {};
  if (fault.shouldRetry !== undefined) headers['Stripe-Should-Retry'] = String(fault.shouldRetry);
  return new TwinApiError(
    fault.status,
    {
      type: fault.type ?? (fault.status >= 500 ? 'api_error' : 'invalid_request_error'),
      code: fault.code,
      message: fault.message ?? `Injected fault (${fault.status}${fault.code ? ` ${fault.code}` : ''})`,
    },
    headers,
  );
}
