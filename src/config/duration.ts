const UNITS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

/** Parses "90s", "5m", "1h", "7d", "250ms" or a bare number of milliseconds. */
export function parseDuration(text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/.exec(text);
  if (!match) throw new Error(`"${text}" is not a duration (examples: 250ms, 90s, 5m, 1h, 7d)`);
  const value = Number(match[1]);
  return Math.round(value * UNITS[match[2] ?? 'ms']);
}
