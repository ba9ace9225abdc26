import type { PaperSize } from './status';

/** What one destination costs, in minor units (cents): a fee per fax and a fee per page. */
export interface Rate {
  base: number;
  perPage: number;
}

/**
 * The one price table: the quote, the API, the checkout and the prices page all read it.
 * Countries not listed cost the default rate.
 */
export interface PriceTable {
  currency: string;
  default: Rate;
  countries: Readonly<Record<string, Rate>>;
}

export interface Price {
  amount: number;
  currency: string;
  rate: Rate;
  pages: number;
}

export function rateFor(country: string, table: PriceTable): Rate {
  return table.countries[country.toUpperCase()] ?? table.default;
}

/** The price of a fax to `country`: the base fee plus the fee per transmitted page (cover included). */
export function priceFor(country: string, pages: number, table: PriceTable): Price {
  if (!Number.isInteger(pages) || pages < 1) throw new RangeError(`cannot price ${pages} pages`);
  const rate = rateFor(country, table);
  return { amount: rate.base + rate.perPage * pages, currency: table.currency, rate, pages };
}

/** Countries whose fax machines print on US Letter; everywhere else uses A4. */
const LETTER_COUNTRIES = new Set(['US', 'CA', 'MX', 'PR', 'CL', 'CO', 'PH', 'VE', 'GT', 'CR', 'DO', 'PA', 'SV']);

export function paperFor(country: string): PaperSize {
  return LETTER_COUNTRIES.has(country.toUpperCase()) ? 'letter' : 'a4';
}

const moneyFormats = new Map<string, Intl.NumberFormat>();

/** "€3.36", "3,36 €", "3,36 €" — the amount as a person in that locale reads it. */
export function formatMoney(amount: number, currency: string, locale: string): string {
  const key = `${locale}:${currency}`;
  let format = moneyFormats.get(key);
  if (!format) {
    format = new Intl.NumberFormat(locale, { style: 'currency', currency: currency.toUpperCase() });
    moneyFormats.set(key, format);
  }
  return format.format(amount / 100);
}
