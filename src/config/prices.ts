import type { PriceTable, Rate } from '../domain/pricing';

/**
 * Default rates per destination, in euro cents, where they differ from the default rate
 * (PRICE_BASE + PRICE_PER_PAGE: 0.99 + 0.79 per page). Cheaper where termination is cheap,
 * dearer for long-distance and mobile-heavy networks.
 */
export const DEFAULT_RATES: Readonly<Record<string, Rate>> = {
  US: { base: 99, perPage: 59 },
  CA: { base: 99, perPage: 59 },
  PR: { base: 99, perPage: 69 },
  GB: { base: 99, perPage: 69 },
  IE: { base: 99, perPage: 69 },
  AU: { base: 149, perPage: 99 },
  NZ: { base: 149, perPage: 99 },
  JP: { base: 149, perPage: 109 },
  KR: { base: 149, perPage: 109 },
  TW: { base: 149, perPage: 109 },
  HK: { base: 149, perPage: 99 },
  SG: { base: 149, perPage: 99 },
  IL: { base: 149, perPage: 99 },
  ZA: { base: 149, perPage: 119 },
  BR: { base: 149, perPage: 119 },
  AR: { base: 149, perPage: 129 },
  CL: { base: 149, perPage: 119 },
  CO: { base: 149, perPage: 129 },
  MX: { base: 149, perPage: 99 },
};

/**
 * Reads `PRICES`: `CC:base:perPage` entries separated by commas (`DE:99:79,US:149:99`), in
 * minor units; each entry replaces that country's default rate. Returns the problems found.
 */
export function parsePrices(raw: string | undefined): { rates: Record<string, Rate>; problems: string[] } {
  const rates: Record<string, Rate> = {};
  const problems: string[] = [];
  for (const entry of (raw ?? '')
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean)) {
    const match = /^([A-Za-z]{2}):(\d{1,6}):(\d{1,6})$/.exec(entry);
    if (!match) {
      problems.push(`PRICES: "${entry}" is not COUNTRY:base:perPage (for example DE:99:79)`);
      continue;
    }
    rates[match[1].toUpperCase()] = { base: Number(match[2]), perPage: Number(match[3]) };
  }
  return { rates, problems };
}

export function priceTable(currency: string, defaultRate: Rate, overrides: Record<string, Rate>): PriceTable {
  return { currency, default: defaultRate, countries: { ...DEFAULT_RATES, ...overrides } };
}
