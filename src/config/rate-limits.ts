import { parseDuration } from './duration';

/**
 * The actions counted per client IP (and uploads also per destination number, and from all
 * clients together: every upload is an unpaid fax that costs storage and a conversion).
 */
export const RATE_KINDS = [
  'upload',
  'uploadPerNumber',
  'uploadGlobal',
  'pay',
  'payPerNumber',
  'checkoutReturn',
  'cancel',
  'cancelPerNumber',
  'numberCheck',
  'report',
  'supportSignIn',
] as const;
export type RateKind = (typeof RATE_KINDS)[number];

export interface RateRule {
  points: number;
  durationSecs: number;
}

/** Generous for a person sending a few faxes, tight for a script filling the database. */
export const DEFAULT_RATE_LIMITS: Record<RateKind, RateRule> = {
  upload: { points: 20, durationSecs: 3600 },
  uploadPerNumber: { points: 10, durationSecs: 3600 },
  uploadGlobal: { points: 600, durationSecs: 3600 },
  pay: { points: 30, durationSecs: 3600 },
  // Payments and cancels also per destination number, whoever asks: one number is not paid for or cancelled dozens of times an hour.
  payPerNumber: { points: 30, durationSecs: 3600 },
  // Returns from Stripe Checkout: each asks Stripe about the session.
  checkoutReturn: { points: 30, durationSecs: 600 },
  cancel: { points: 30, durationSecs: 3600 },
  cancelPerNumber: { points: 30, durationSecs: 3600 },
  numberCheck: { points: 600, durationSecs: 600 },
  report: { points: 60, durationSecs: 3600 },
  // Sign-ins to the support pages from one address, whatever the name (each name also locks on its own).
  supportSignIn: { points: 30, durationSecs: 900 },
};

/** Reads `RATE_LIMITS`: `kind=points/duration` entries separated by commas (`upload=50/1h,pay=100/1h`). */
export function parseRateLimits(raw: string | undefined): { rules: Record<RateKind, RateRule>; problems: string[] } {
  const rules = { ...DEFAULT_RATE_LIMITS };
  const problems: string[] = [];
  for (const entry of (raw ?? '')
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean)) {
    const match = /^(\w+)=(\d{1,9})\/(\w+)$/.exec(entry);
    const kind = match?.[1] as RateKind | undefined;
    if (!match || !kind || !RATE_KINDS.includes(kind)) {
      problems.push(`RATE_LIMITS: "${entry}" is not kind=points/duration with a kind of ${RATE_KINDS.join(', ')}`);
      continue;
    }
    try {
      rules[kind] = { points: Number(match[2]), durationSecs: Math.max(1, Math.round(parseDuration(match[3]) / 1000)) };
    } catch (err) {
      problems.push(`RATE_LIMITS: ${(err as Error).message}`);
    }
  }
  return { rules, problems };
}
