import { isLocale, type Locale } from '../domain/status';
import { carrierMessages } from './messages/carrier';
import { commonMessages } from './messages/common';
import { conversionMessages } from './messages/conversion';
import { emailMessages } from './messages/email';
import { paymentMessages } from './messages/payments';
import { reasonMessages } from './messages/reasons';
import { reportMessages } from './messages/report';

export type Catalog = Record<Locale, Record<string, string>>;
export type Params = Record<string, string | number>;

function merge(...catalogs: Catalog[]): Catalog {
  const out: Catalog = { en: {}, de: {}, fr: {} };
  for (const c of catalogs) for (const l of Object.keys(out) as Locale[]) Object.assign(out[l], c[l]);
  return out;
}

const CATALOG = merge(commonMessages, reasonMessages, paymentMessages, carrierMessages, conversionMessages, reportMessages, emailMessages);

/** Translates `key` into `locale`, falling back to English, then to the key itself. */
export function t(locale: Locale, key: string, params: Params = {}): string {
  const template = CATALOG[locale][key] ?? CATALOG.en[key] ?? key;
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => (name in params ? String(params[name]) : whole));
}

export function hasMessage(key: string): boolean {
  return key in CATALOG.en;
}

/** Keys present in English but missing in another language (tests keep this empty). */
export function missingTranslations(): string[] {
  const missing: string[] = [];
  for (const l of ['de', 'fr'] as const) {
    for (const key of Object.keys(CATALOG.en)) if (!(key in CATALOG[l])) missing.push(`${l}:${key}`);
  }
  return missing;
}

/** The best supported language of an Accept-Language header, or null when it names none. */
export function acceptedLocale(acceptLanguage: string | undefined): Locale | null {
  if (!acceptLanguage) return null;
  const ranked = acceptLanguage
    .split(',')
    .map((part) => {
      const [tag, ...params] = part.trim().split(';');
      const q = params.map((p) => /^q=([\d.]+)$/.exec(p.trim())).find(Boolean);
      return { lang: tag.trim().toLowerCase().split('-')[0], q: q ? Number(q[1]) : 1 };
    })
    .filter((x) => x.q > 0)
    .sort((a, b) => b.q - a.q);
  return ranked.map((r) => r.lang).find(isLocale) ?? null;
}

/**
 * Picks the locale for a request: an explicit choice first, then the Accept-Language
 * header (by quality), then English.
 */
export function negotiateLocale(explicit: unknown, acceptLanguage?: string): Locale {
  if (isLocale(explicit)) return explicit;
  return acceptedLocale(acceptLanguage) ?? 'en';
}
