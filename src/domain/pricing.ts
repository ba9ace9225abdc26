import type { PaperSize } from './status';

export interface PriceList {
  priceBase: number;
  pricePerPage: number;
  currency: string;
}

/** The price of a fax in minor units: a base fee plus a fee per transmitted page (cover included). */
export function priceFor(pages: number, list: PriceList): { amount: number; currency: string } {
  if (!Number.isInteger(pages) || pages < 1) throw new RangeError(`cannot price ${pages} pages`);
  return { amount: list.priceBase + list.pricePerPage * pages, currency: list.currency };
}

/** Countries whose fax machines print on US Letter; everywhere else uses A4. */
const LETTER_COUNTRIES = new Set(['US', 'CA', 'MX', 'PR', 'CL', 'CO', 'PH', 'VE', 'GT', 'CR', 'DO', 'PA', 'SV']);

export function paperFor(country: string): PaperSize {
  return LETTER_COUNTRIES.has(country.toUpperCase()) ? 'letter' : 'a4';
}

/** "€3.36", "3,36 €", "3,36 €" — the amount as a person in that locale reads it. */
export function formatMoney(amount: number, currency: string, locale: string): string {
  return new Intl.NumberFormat(locale, { style: 'currency', currency: currency.toUpperCase() }).format(amount / 100);
}
