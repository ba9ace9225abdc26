/**
 * Stable reason codes. Each is the `type` of a non-retryable ApplicationFailure (or a 4xx
 * `code` in the API) and has a translated message in src/i18n/messages. Never rename one:
 * they are stored in fax records and workflow histories.
 */
export const REASONS = {
  // Upload and input
  invalid_request: 'invalid_request',
  missing_document: 'missing_document',
  missing_number: 'missing_number',
  invalid_number: 'invalid_number',
  country_not_served: 'country_not_served',
  number_type_not_allowed: 'number_type_not_allowed',
  invalid_email: 'invalid_email',
  text_too_long: 'text_too_long',
  upload_too_large: 'upload_too_large',
  upload_timeout: 'upload_timeout',
  idempotency_conflict: 'idempotency_conflict',
  not_found: 'not_found',
  not_cancellable: 'not_cancellable',
  not_payable: 'not_payable',
  rate_limited: 'rate_limited',
  service_unavailable: 'service_unavailable',
  // Conversion
  unsupported_format: 'unsupported_format',
  needs_libreoffice: 'needs_libreoffice',
  file_too_large: 'file_too_large',
  too_many_pages: 'too_many_pages',
  page_too_large: 'page_too_large',
  encrypted_document: 'encrypted_document',
  corrupt_document: 'corrupt_document',
  empty_document: 'empty_document',
  conversion_timeout: 'conversion_timeout',
  conversion_out_of_memory: 'conversion_out_of_memory',
  conversion_failed: 'conversion_failed',
  // Payment
  payment_expired: 'payment_expired',
  payment_declined: 'payment_declined',
  payment_amount_mismatch: 'payment_amount_mismatch',
  hold_expired: 'hold_expired',
  payment_error: 'payment_error',
  cancelled_by_sender: 'cancelled_by_sender',
  cancelled_by_support: 'cancelled_by_support',
  // Transmission
  busy: 'busy',
  no_answer: 'no_answer',
  line_error: 'line_error',
  not_a_fax_machine: 'not_a_fax_machine',
  number_unallocated: 'number_unallocated',
  rejected_by_receiver: 'rejected_by_receiver',
  destination_not_allowed: 'destination_not_allowed',
  page_limit: 'page_limit',
  media_unavailable: 'media_unavailable',
  carrier_error: 'carrier_error',
  partially_sent: 'partially_sent',
} as const;

export type ReasonCode = (typeof REASONS)[keyof typeof REASONS];

export function isReasonCode(value: unknown): value is ReasonCode {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(REASONS, value);
}
