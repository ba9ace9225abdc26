import type { ConversionLimits } from './types';

export const DEFAULT_LIMITS: ConversionLimits = {
  maxBytes: 20 * 1024 * 1024,
  maxPages: 50,
  // 50 megapixels: a 600 dpi A4 scan (35 MP) or a 48 MP phone photo still fits.
  maxPixelsPerPage: 50_000_000,
  timeoutMs: 120_000,
  memoryMb: 1024,
};

/** The defaults overridden by the caller's limits; each must be a positive number. */
export function resolveLimits(partial: Partial<ConversionLimits> = {}): ConversionLimits {
  const limits = { ...DEFAULT_LIMITS };
  for (const key of Object.keys(DEFAULT_LIMITS) as Array<keyof ConversionLimits>) {
    const value = partial[key];
    if (value === undefined) continue;
    if (typeof value !== 'number' || !(value > 0)) throw new RangeError(`conversion limit ${key} must be a positive number`);
    limits[key] = value;
  }
  return limits;
}

/** "20 MB" for messages: the unit people see on upload forms. */
export function formatBytes(bytes: number): string {
  const mb = bytes / (1024 * 1024);
  return mb >= 1 ? `${Number.isInteger(mb) ? mb : mb.toFixed(1)} MB` : `${Math.ceil(bytes / 1024)} KB`;
}
