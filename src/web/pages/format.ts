import { getCountryCallingCode, type CountryCode } from 'libphonenumber-js/max';
import type { Locale } from '../../domain/status';

/** A moment as the page shows it before its script turns it into the visitor's local time. */
export interface ShownTime {
  iso: string;
  text: string;
}

const DATE_TIME: Record<Locale, Intl.DateTimeFormat> = {
  en: new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' }),
  de: new Intl.DateTimeFormat('de-DE', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' }),
  fr: new Intl.DateTimeFormat('fr-FR', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' }),
};

/**
 * The server does not know the visitor's time zone: times are written in UTC, saying so,
 * inside a `<time datetime>` the page script rewrites in local time.
 */
export function shownTime(date: Date | null | undefined, locale: Locale): ShownTime | undefined {
  if (!date) return undefined;
  return { iso: date.toISOString(), text: `${DATE_TIME[locale].format(date)} UTC` };
}

const names = new Map<Locale, Intl.DisplayNames>();

/** The country's name in the visitor's language ("Germany", "Deutschland", "Allemagne"). */
export function countryName(code: string, locale: Locale): string {
  let display = names.get(locale);
  if (!display) {
    display = new Intl.DisplayNames([locale], { type: 'region' });
    names.set(locale, display);
  }
  return display.of(code.toUpperCase()) ?? code;
}

export interface CountryOption {
  code: string;
  name: string;
  dial: string;
}

const optionLists = new Map<string, CountryOption[]>();

/**
 * The served countries as the form's list: by name in the visitor's language, with their
 * dialling code. Made once per language and list (every home page shows it).
 */
export function countryOptions(codes: readonly string[], locale: Locale): CountryOption[] {
  const key = `${locale}:${codes.join(',')}`;
  let options = optionLists.get(key);
  if (!options) {
    const collator = new Intl.Collator(locale);
    options = codes.map((code) => ({ code, name: countryName(code, locale), dial: getCountryCallingCode(code as CountryCode) })).sort((a, b) => collator.compare(a.name, b.name));
    optionLists.set(key, options);
  }
  return options;
}

/** A duration in days or hours for sentences like "kept for 7 days". */
export function durationWords(ms: number, locale: Locale): string {
  const days = ms / 86_400_000;
  const fmt = (value: number, unit: 'day' | 'hour' | 'minute'): string =>
    new Intl.NumberFormat(locale, { style: 'unit', unit, unitDisplay: 'long', maximumFractionDigits: 0 }).format(value);
  if (days >= 1 && Number.isInteger(days)) return fmt(days, 'day');
  if (ms >= 3_600_000) return fmt(Math.round(ms / 3_600_000), 'hour');
  return fmt(Math.max(1, Math.round(ms / 60_000)), 'minute');
}
