import type { Duration, Timestamp } from './proto';

/** Milliseconds in a protobuf Duration; absent or malformed means 0. */
export function durationMs(d: Duration | null | undefined): number {
  if (!d) return 0;
  const ms = Number(d.seconds ?? 0) * 1000 + Math.floor(Number(d.nanos ?? 0) / 1e6);
  return Number.isFinite(ms) ? ms : 0;
}

export function msDuration(ms: number): Duration {
  const whole = Math.max(0, Math.floor(ms));
  return { seconds: Math.floor(whole / 1000), nanos: (whole % 1000) * 1e6 };
}

/** A Duration for a timeout that is set, nothing for 0 (unset): the real server leaves those out. */
export function optionalDuration(ms: number): Duration | undefined {
  return ms > 0 ? msDuration(ms) : undefined;
}

export function msTimestamp(ms: number): Timestamp {
  const whole = Math.floor(ms);
  return { seconds: Math.floor(whole / 1000), nanos: (((whole % 1000) + 1000) % 1000) * 1e6 };
}

export function timestampMs(t: Timestamp | null | undefined): number {
  if (!t) return 0;
  return Number(t.seconds ?? 0) * 1000 + Math.floor(Number(t.nanos ?? 0) / 1e6);
}

/** True when a Duration field is present and negative: the real server rejects these. */
export function isNegative(d: Duration | null | undefined): boolean {
  return !!d && (Number(d.seconds ?? 0) < 0 || Number(d.nanos ?? 0) < 0);
}
