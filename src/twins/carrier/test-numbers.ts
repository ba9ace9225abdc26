import { isValidPhoneNumber } from 'libphonenumber-js/max';

/** The sandbox test numbers (DESIGN.md); every other valid number is delivered. */
export const TEST_NUMBERS = {
  busyTwice: '+493012340001',
  neverAnswers: '+493012340002',
  voiceLine: '+493012340003',
  unallocated: '+493012340004',
  dropsAfterPageOne: '+493012340005',
} as const;

/** How a simulated call goes, once the document is ready and the number is dialled. */
export type CallPlan =
  /** The call fails before anyone answers. */
  | { kind: 'unanswered'; failureReason: string; ringPages: number }
  /** Someone answers but no fax machine does. */
  | { kind: 'voice'; failureReason: string }
  /** The fax is transmitted; with `dropAfterPages` the line drops after that many pages. */
  | { kind: 'transmit'; dropAfterPages?: number; failureReason?: string };

/**
 * The outcome for a destination, given how many earlier calls for the same fax (or, without
 * client_state, the same destination) the twin has already placed.
 */
export function planCall(to: string, earlierCalls: number): CallPlan {
  switch (to) {
    case TEST_NUMBERS.busyTwice:
      return earlierCalls < 2 ? { kind: 'unanswered', failureReason: 'user_busy', ringPages: 0 } : { kind: 'transmit' };
    case TEST_NUMBERS.neverAnswers:
      return { kind: 'unanswered', failureReason: 'receiver_no_response', ringPages: 1 };
    case TEST_NUMBERS.voiceLine:
      return { kind: 'voice', failureReason: 'receiver_incompatible_destination' };
    case TEST_NUMBERS.unallocated:
      return { kind: 'unanswered', failureReason: 'receiver_unallocated_number', ringPages: 0 };
    case TEST_NUMBERS.dropsAfterPageOne:
      return earlierCalls < 1 ? { kind: 'transmit', dropAfterPages: 1, failureReason: 'receiver_call_dropped' } : { kind: 'transmit' };
    default:
      // Telnyx accepts any E.164-shaped number and reports an invalid one when dialling.
      return isValidPhoneNumber(to) ? { kind: 'transmit' } : { kind: 'unanswered', failureReason: 'receiver_invalid_number_format', ringPages: 0 };
  }
}

/**
 * Call time the twin reports, in seconds of a real call (independent of the accelerated
 * clock): a few seconds of handshake, then about half a minute per page at 14.4 kbit/s.
 */
export function simulatedCallSeconds(answered: boolean, pagesSent: number): number {
  if (!answered) return 0;
  return 8 + 30 * pagesSent;
}
