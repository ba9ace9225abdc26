import type { ReasonCode } from '../domain/reasons';
import type { FailureClass } from './types';

export interface ClassifiedFailure {
  class: FailureClass;
  reason: ReasonCode;
}

const retryable = (reason: ReasonCode): ClassifiedFailure => ({ class: 'retryable', reason });
const final = (reason: ReasonCode): ClassifiedFailure => ({ class: 'final', reason });

/**
 * Telnyx `failure_reason`s and what they mean for the next attempt. Retryable: the line or
 * the moment was bad (busy, no answer, dropped calls, signalling trouble, capacity). Final:
 * trying again cannot help (the number, the destination, the document or the account).
 */
const KNOWN: ReadonlyMap<string, ClassifiedFailure> = new Map(
  Object.entries({
    user_busy: retryable('busy'),
    busy: retryable('busy'),

    receiver_no_response: retryable('no_answer'),
    receiver_no_answer: retryable('no_answer'),
    no_answer: retryable('no_answer'),
    // No fax tones within the handshake window: often a machine that was busy or slow to pick up.
    fax_initial_communication_timeout: retryable('no_answer'),

    receiver_call_dropped: retryable('line_error'),
    sender_call_dropped: retryable('line_error'),
    carrier_lost: retryable('line_error'),
    fax_signaling_error: retryable('line_error'),
    receiver_communication_error: retryable('line_error'),
    sender_communication_error: retryable('line_error'),
    invalid_ecm_response_from_receiver: retryable('line_error'),
    receiver_recovery_on_timer_expire: retryable('line_error'),
    receiver_recv_failed: retryable('line_error'),
    destination_unreachable: retryable('line_error'),

    service_unavailable: retryable('carrier_error'),
    user_channel_limit_exceeded: retryable('carrier_error'),
    outbound_profile_channel_limit_exceeded: retryable('carrier_error'),
    connection_channel_limit_exceeded: retryable('carrier_error'),
    media_processing_exception: retryable('carrier_error'),

    receiver_invalid_number_format: final('invalid_number'),
    destination_invalid: final('invalid_number'),
    receiver_unallocated_number: final('number_unallocated'),
    receiver_decline: final('rejected_by_receiver'),
    receiver_incompatible_destination: final('not_a_fax_machine'),
    not_a_fax_machine: final('not_a_fax_machine'),
    destination_not_in_countries_whitelist: final('destination_not_allowed'),
    destination_not_in_service_plan: final('destination_not_allowed'),
    unverified_destination_not_allowed: final('destination_not_allowed'),
    destination_not_allowed: final('destination_not_allowed'),
    page_count_limit_exceeded: final('page_limit'),
    // The carrier could not fetch our document: our web was away for a moment (a restart, a
    // crash). Found by the crash storm: final, a paid fax failed for a second of our own downtime.
    file_download_failed: retryable('media_unavailable'),
    file_format_invalid: final('media_unavailable'),
    file_size_limit_exceeded: final('carrier_error'),
    // Account set-up problems: an operator must act, a retry minutes later would fail the same way.
    account_disabled: final('carrier_error'),
    no_outbound_profile: final('carrier_error'),
    unverified_origination_number: final('carrier_error'),
    outbound_profile_daily_spend_limit_exceeded: final('carrier_error'),
    // We asked for the cancellation; the caller knows why and records its own reason.
    sender_canceled: final('carrier_error'),
    user_canceled: final('carrier_error'),
  }),
);

/** Reasons the carrier may add later, recognised by their words; anything else is a carrier error. */
const PATTERNS: ReadonlyArray<[RegExp, ClassifiedFailure]> = [
  [/busy/, retryable('busy')],
  [/no_(answer|response)/, retryable('no_answer')],
  [/drop|lost|signal|communication|timeout|timer|recv|ecm/, retryable('line_error')],
];

/**
 * Maps a carrier failure reason to retryable or final with a Durafax reason code. A line
 * drop after some pages went through is `partially_sent` (still retryable: the whole fax is
 * sent again). Unknown reasons are retryable carrier errors: a bounded retry is cheaper than
 * failing a fax the carrier might still deliver.
 */
export function classifyFailure(failureReason: string | null | undefined, pagesSent?: number | null): ClassifiedFailure {
  const key = (failureReason ?? '').trim().toLowerCase();
  const known = KNOWN.get(key) ?? PATTERNS.find(([pattern]) => pattern.test(key))?.[1] ?? retryable('carrier_error');
  if (known.reason === 'line_error' && (pagesSent ?? 0) > 0) return retryable('partially_sent');
  return known;
}
