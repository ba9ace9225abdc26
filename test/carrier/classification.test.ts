import { decodeClientState, encodeClientState } from '../../src/carrier/client-state';
import { classifyFailure } from '../../src/carrier/failure';
import { isStaleTransition } from '../../src/carrier/transitions';
import { parseFaxWebhook, toCarrierFax } from '../../src/carrier/telnyx-fax';
import { CARRIER_STATUSES, type CarrierStatus } from '../../src/carrier/types';
import { isReasonCode } from '../../src/domain/reasons';

describe('classifyFailure', () => {
  test.each([
    ['user_busy', 'retryable', 'busy'],
    ['busy', 'retryable', 'busy'],
    ['receiver_no_response', 'retryable', 'no_answer'],
    ['receiver_no_answer', 'retryable', 'no_answer'],
    ['fax_initial_communication_timeout', 'retryable', 'no_answer'],
    ['receiver_call_dropped', 'retryable', 'line_error'],
    ['sender_call_dropped', 'retryable', 'line_error'],
    ['carrier_lost', 'retryable', 'line_error'],
    ['fax_signaling_error', 'retryable', 'line_error'],
    ['receiver_communication_error', 'retryable', 'line_error'],
    ['invalid_ecm_response_from_receiver', 'retryable', 'line_error'],
    ['receiver_recovery_on_timer_expire', 'retryable', 'line_error'],
    ['receiver_recv_failed', 'retryable', 'line_error'],
    ['destination_unreachable', 'retryable', 'line_error'],
    ['service_unavailable', 'retryable', 'carrier_error'],
    ['connection_channel_limit_exceeded', 'retryable', 'carrier_error'],
    ['receiver_invalid_number_format', 'final', 'invalid_number'],
    ['destination_invalid', 'final', 'invalid_number'],
    ['receiver_unallocated_number', 'final', 'number_unallocated'],
    ['receiver_decline', 'final', 'rejected_by_receiver'],
    ['receiver_incompatible_destination', 'final', 'not_a_fax_machine'],
    ['destination_not_in_countries_whitelist', 'final', 'destination_not_allowed'],
    ['unverified_destination_not_allowed', 'final', 'destination_not_allowed'],
    ['page_count_limit_exceeded', 'final', 'page_limit'],
    ['file_download_failed', 'retryable', 'media_unavailable'],
    ['file_format_invalid', 'final', 'media_unavailable'],
    ['account_disabled', 'final', 'carrier_error'],
    ['sender_canceled', 'final', 'carrier_error'],
    ['RECEIVER_NO_RESPONSE', 'retryable', 'no_answer'],
    ['some_new_busy_condition', 'retryable', 'busy'],
    ['t30_phase_b_timeout', 'retryable', 'line_error'],
    ['something_never_seen', 'retryable', 'carrier_error'],
    ['constructor', 'retryable', 'carrier_error'],
    ['', 'retryable', 'carrier_error'],
  ])('%s → %s %s', (reason, cls, code) => {
    const result = classifyFailure(reason);
    expect(result).toEqual({ class: cls, reason: code });
    expect(isReasonCode(result.reason)).toBe(true);
  });

  test('a line drop after some pages is partially_sent (retryable); other failures keep their reason', () => {
    expect(classifyFailure('receiver_call_dropped', 1)).toEqual({ class: 'retryable', reason: 'partially_sent' });
    expect(classifyFailure('receiver_call_dropped', 0)).toEqual({ class: 'retryable', reason: 'line_error' });
    expect(classifyFailure('receiver_call_dropped', null)).toEqual({ class: 'retryable', reason: 'line_error' });
    expect(classifyFailure('user_busy', 3)).toEqual({ class: 'retryable', reason: 'busy' });
    expect(classifyFailure('receiver_decline', 2)).toEqual({ class: 'final', reason: 'rejected_by_receiver' });
    expect(classifyFailure(null)).toEqual({ class: 'retryable', reason: 'carrier_error' });
  });
});

describe('isStaleTransition', () => {
  const order: CarrierStatus[] = ['queued', 'media.processed', 'originated', 'sending'];

  test('forward moves are fresh, backward moves are stale', () => {
    for (let i = 0; i < order.length; i++) {
      for (let j = 0; j < order.length; j++) {
        expect([order[i], order[j], isStaleTransition(order[i], order[j])]).toEqual([order[i], order[j], j < i]);
      }
      expect(isStaleTransition(order[i], 'delivered')).toBe(false);
      expect(isStaleTransition(order[i], 'failed')).toBe(false);
    }
  });

  test('a final status never moves, not even to the other final status', () => {
    for (const final of ['delivered', 'failed'] as const) {
      for (const next of CARRIER_STATUSES) expect(isStaleTransition(final, next)).toBe(true);
    }
  });

  test('folding events in any order ends in the same final status', () => {
    const arrival: CarrierStatus[] = ['sending', 'delivered', 'queued', 'media.processed', 'sending'];
    const folded = arrival.reduce<CarrierStatus>((cur, next) => (isStaleTransition(cur, next) ? cur : next), 'queued');
    expect(folded).toBe('delivered');
  });
});

describe('client_state', () => {
  test('round-trips and rejects what is not ours', () => {
    const encoded = encodeClientState({ faxId: '6f1c2f8e-7d2a-4a57-9d0c-3f1d2b6c8a11', attempt: 2 });
    expect(encoded).toMatch(/^[A-Za-z0-9+/]+=*$/);
    expect(decodeClientState(encoded)).toEqual({ faxId: '6f1c2f8e-7d2a-4a57-9d0c-3f1d2b6c8a11', attempt: 2 });
    expect(decodeClientState('aGF2ZSBhIG5pY2UgZGF5ID1d')).toBeNull();
    expect(decodeClientState(Buffer.from('{"faxId":"x","attempt":0}').toString('base64'))).toBeNull();
    expect(decodeClientState(Buffer.from('{"faxId":7,"attempt":1}').toString('base64'))).toBeNull();
    expect(decodeClientState(Buffer.from('[1,2]').toString('base64'))).toBeNull();
    expect(decodeClientState(undefined)).toBeNull();
    expect(decodeClientState('')).toBeNull();
  });
});

describe('reading Telnyx shapes', () => {
  test('a fax resource keeps pages, duration and failure; unknown statuses read as queued', () => {
    const fax = toCarrierFax({
      id: 'f1',
      status: 'failed',
      to: '+493012340005',
      failure_reason: 'receiver_call_dropped',
      page_count: 1,
      call_duration_secs: 38,
      created_at: '2025-01-01T10:00:00Z',
    });
    expect(fax).toMatchObject({ id: 'f1', status: 'failed', failureReason: 'receiver_call_dropped', pagesSent: 1, callDurationSecs: 38, clientState: null });
    expect(fax.createdAt.toISOString()).toBe('2025-01-01T10:00:00.000Z');
    expect(toCarrierFax({ id: 'f2', status: 'media.processing' }).status).toBe('queued');
    expect(toCarrierFax({ id: 'f3', status: 'delivered', failure_reason: 'x' }).failureReason).toBeNull();
    expect(() => toCarrierFax({ status: 'queued' })).toThrow(/without an id/);
  });

  test('webhooks: fax events parsed, other types ignored, broken ones invalid', () => {
    const parsed = parseFaxWebhook({ data: { id: 'e1', event_type: 'fax.sending.started', occurred_at: '2025-01-01T10:00:00Z', payload: { fax_id: 'f1' } } });
    expect(parsed).toMatchObject({ kind: 'fax', event: { eventId: 'e1', carrierFaxId: 'f1', status: 'sending', failureReason: null } });
    expect(parseFaxWebhook({ data: { id: 'e2', event_type: 'call.initiated', payload: {} } })).toEqual({ kind: 'ignored', eventType: 'call.initiated', eventId: 'e2' });
    expect(parseFaxWebhook({ data: { id: 'e3', event_type: 'fax.delivered', payload: {} } }).kind).toBe('invalid');
    expect(parseFaxWebhook({ nothing: true }).kind).toBe('invalid');
    expect(parseFaxWebhook('text').kind).toBe('invalid');
  });
});
