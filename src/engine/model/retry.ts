import type { Failure, RetryPolicy } from '../proto';
import { durationMs } from '../time';
import type { Retry } from './state';

/** The real server's activity defaults: 1s initial, ×2, at most 100× the initial interval, unlimited attempts. */
export function normalizeRetry(p: RetryPolicy | null | undefined): Retry {
  const initialMs = durationMs(p?.initialInterval) || 1000;
  const coefficient = p?.backoffCoefficient && p.backoffCoefficient >= 1 ? p.backoffCoefficient : 2;
  const maxIntervalMs = durationMs(p?.maximumInterval) || initialMs * 100;
  return {
    initialMs,
    coefficient,
    maxIntervalMs: Math.max(maxIntervalMs, initialMs),
    maxAttempts: Math.max(0, p?.maximumAttempts ?? 0),
    nonRetryable: [...(p?.nonRetryableErrorTypes ?? [])],
  };
}

export function retryToProto(r: Retry): RetryPolicy {
  return {
    initialInterval: { seconds: Math.floor(r.initialMs / 1000), nanos: (r.initialMs % 1000) * 1e6 },
    backoffCoefficient: r.coefficient,
    maximumInterval: { seconds: Math.floor(r.maxIntervalMs / 1000), nanos: (r.maxIntervalMs % 1000) * 1e6 },
    maximumAttempts: r.maxAttempts,
    nonRetryableErrorTypes: r.nonRetryable,
  };
}

export type RetryDecision = { retry: true; delayMs: number } | { retry: false; state: number };

/**
 * Whether attempt `attempt` (which just failed with `failure`) is retried, and after how long.
 * `deadline` is the schedule-to-close (or workflow execution) deadline, 0 for none.
 */
export function decideRetry(r: Retry, attempt: number, failure: Failure | null | undefined, now: number, deadline: number): RetryDecision {
  const RS = { NON_RETRYABLE: 2, TIMEOUT: 3, MAX_ATTEMPTS: 4 };
  const info = failure?.applicationFailureInfo;
  if (info?.nonRetryable) return { retry: false, state: RS.NON_RETRYABLE };
  const type = info?.type ?? (failure?.timeoutFailureInfo ? timeoutTypeName(failure.timeoutFailureInfo.timeoutType ?? 0) : undefined);
  if (type && r.nonRetryable.includes(type)) return { retry: false, state: RS.NON_RETRYABLE };
  if (r.maxAttempts > 0 && attempt >= r.maxAttempts) return { retry: false, state: RS.MAX_ATTEMPTS };
  const explicit = durationMs(info?.nextRetryDelay);
  const delayMs = explicit > 0 ? explicit : Math.min(r.initialMs * Math.pow(r.coefficient, attempt - 1), r.maxIntervalMs);
  if (deadline > 0 && now + delayMs >= deadline) return { retry: false, state: RS.TIMEOUT };
  return { retry: true, delayMs: Math.round(delayMs) };
}

/** Timeout failures can be listed as non-retryable by these names, as in the real server. */
function timeoutTypeName(t: number): string {
  return ['', 'TemporalTimeout:StartToClose', 'TemporalTimeout:ScheduleToStart', 'TemporalTimeout:ScheduleToClose', 'TemporalTimeout:Heartbeat'][t] ?? '';
}
