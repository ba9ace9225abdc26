import { enums, type Failure, type RetryPolicy } from '../proto';
import { durationMs } from '../time';
import type { Retry } from './state';

/** The real server's activity defaults: 1s initial, ×2, at most 100× the initial interval, unlimited attempts. */
export function normalizeRetry(policy: RetryPolicy | null | undefined): Retry {
  const initialMs = durationMs(policy?.initialInterval) || 1000;
  const coefficient = policy?.backoffCoefficient && policy.backoffCoefficient >= 1 ? policy.backoffCoefficient : 2;
  const maxIntervalMs = durationMs(policy?.maximumInterval) || initialMs * 100;
  return {
    initialMs,
    coefficient,
    maxIntervalMs: Math.max(maxIntervalMs, initialMs),
    maxAttempts: Math.max(0, policy?.maximumAttempts ?? 0),
    nonRetryable: [...(policy?.nonRetryableErrorTypes ?? [])],
  };
}

export function retryToProto(retry: Retry): RetryPolicy {
  return {
    initialInterval: { seconds: Math.floor(retry.initialMs / 1000), nanos: (retry.initialMs % 1000) * 1e6 },
    backoffCoefficient: retry.coefficient,
    maximumInterval: { seconds: Math.floor(retry.maxIntervalMs / 1000), nanos: (retry.maxIntervalMs % 1000) * 1e6 },
    maximumAttempts: retry.maxAttempts,
    nonRetryableErrorTypes: retry.nonRetryable,
  };
}

export type RetryDecision = { retry: true; delayMs: number } | { retry: false; state: number };

/**
 * Whether attempt `attempt` (which just failed with `failure`) is retried, and after how long.
 * `deadline` is the schedule-to-close (or workflow execution) deadline, 0 for none.
 */
export function decideRetry(retry: Retry, attempt: number, failure: Failure | null | undefined, now: number, deadline: number): RetryDecision {
  const info = failure?.applicationFailureInfo;
  // A failure marked non-retryable by the application or by the server (an oversized result, say) ends the retries.
  if (info?.nonRetryable || failure?.serverFailureInfo?.nonRetryable) return { retry: false, state: enums.RetryState.RETRY_STATE_NON_RETRYABLE_FAILURE };
  const type = info?.type ?? (failure?.timeoutFailureInfo ? timeoutTypeName(failure.timeoutFailureInfo.timeoutType ?? 0) : undefined);
  if (type && retry.nonRetryable.includes(type)) return { retry: false, state: enums.RetryState.RETRY_STATE_NON_RETRYABLE_FAILURE };
  if (retry.maxAttempts > 0 && attempt >= retry.maxAttempts) return { retry: false, state: enums.RetryState.RETRY_STATE_MAXIMUM_ATTEMPTS_REACHED };
  const explicit = durationMs(info?.nextRetryDelay);
  const delayMs = explicit > 0 ? explicit : Math.min(retry.initialMs * Math.pow(retry.coefficient, attempt - 1), retry.maxIntervalMs);
  if (deadline > 0 && now + delayMs >= deadline) return { retry: false, state: enums.RetryState.RETRY_STATE_TIMEOUT };
  return { retry: true, delayMs: Math.round(delayMs) };
}

/** Timeout failures can be listed as non-retryable by these names, as in the real server. */
function timeoutTypeName(timeoutType: number): string {
  return ['', 'TemporalTimeout:StartToClose', 'TemporalTimeout:ScheduleToStart', 'TemporalTimeout:ScheduleToClose', 'TemporalTimeout:Heartbeat'][timeoutType] ?? '';
}
