import Stripe from 'stripe';
import { toPaymentError } from '../../src/payments/stripe-errors';
import { PaymentError } from '../../src/payments/types';

/** The library's own error classes, built as it builds them from Stripe's error bodies. */
const { errors } = Stripe;

describe('Stripe errors as payment failures', () => {
  test.each([
    [
      'a card decline',
      new errors.StripeCardError({ type: 'card_error', code: 'card_declined', decline_code: 'insufficient_funds', statusCode: 402, message: 'x' }),
      'declined',
      'insufficient_funds',
    ],
    [
      'an expired authorization',
      new errors.StripeInvalidRequestError({ type: 'invalid_request_error', code: 'charge_expired_for_capture', statusCode: 400, message: 'x' }),
      'hold_expired',
      'charge_expired_for_capture',
    ],
    [
      'a charge captured already',
      new errors.StripeInvalidRequestError({ type: 'invalid_request_error', code: 'charge_already_captured', statusCode: 400, message: 'x' }),
      'already_captured',
      'charge_already_captured',
    ],
    [
      'a charge refunded already',
      new errors.StripeInvalidRequestError({ type: 'invalid_request_error', code: 'charge_already_refunded', statusCode: 400, message: 'x' }),
      'already_refunded',
      'charge_already_refunded',
    ],
    [
      'a missing object',
      new errors.StripeInvalidRequestError({ type: 'invalid_request_error', code: 'resource_missing', statusCode: 404, message: 'x' }),
      'not_found',
      'resource_missing',
    ],
    [
      'a bad parameter',
      new errors.StripeInvalidRequestError({ type: 'invalid_request_error', code: 'parameter_invalid', statusCode: 400, message: 'x' }),
      'invalid_request',
      'parameter_invalid',
    ],
    ['a reused key', new errors.StripeIdempotencyError({ type: 'idempotency_error', statusCode: 400, message: 'x' }), 'idempotency_conflict', 'idempotency_error'],
    ['a wrong key', new errors.StripeAuthenticationError({ type: 'invalid_request_error', statusCode: 401, message: 'x' }), 'authentication', undefined],
    ['a key without the permission', new errors.StripePermissionError({ type: 'invalid_request_error', statusCode: 403, message: 'x' }), 'authentication', undefined],
    ['a rate limit', new errors.StripeRateLimitError({ type: 'invalid_request_error', code: 'rate_limit', statusCode: 429, message: 'x' }), 'transient', 'rate_limit'],
    ['a lock timeout', new errors.StripeRateLimitError({ type: 'invalid_request_error', code: 'lock_timeout', statusCode: 429, message: 'x' }), 'transient', 'lock_timeout'],
    ['a server error', new errors.StripeAPIError({ type: 'api_error', statusCode: 500, message: 'x' }), 'transient', undefined],
    [
      'a concurrent request with the key',
      new errors.StripeAPIError({ type: 'invalid_request_error', code: 'idempotency_key_in_use', statusCode: 409, message: 'x' }),
      'transient',
      'idempotency_key_in_use',
    ],
    ['a broken connection', new errors.StripeConnectionError({ type: 'api_error', message: 'socket hang up' }), 'transient', undefined],
  ])('%s', (_name, err, kind, providerCode) => {
    const mapped = toPaymentError(err, 'capture');
    expect(mapped).toBeInstanceOf(PaymentError);
    expect(mapped.kind).toBe(kind);
    expect(mapped.providerCode).toBe(providerCode);
    expect(mapped.retryable).toBe(kind === 'transient');
    expect(mapped.message.startsWith('capture: ')).toBe(true);
  });

  test('anything that is not a Stripe error is transient, and a PaymentError passes through', () => {
    expect(toPaymentError(new TypeError('fetch failed'), 'refund')).toMatchObject({ kind: 'transient', message: 'refund: fetch failed' });
    const own = new PaymentError('declined', 'x');
    expect(toPaymentError(own, 'refund')).toBe(own);
  });
});
