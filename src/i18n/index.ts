import { isLocale, type Locale } from '../domain/status';
import { carrierMessages } from './messages/carrier';
import { commonMessages } from './messages/common';
import { conversionMessages } from './messages/conversion';
import { emailMessages } from './messages/email';
import { pageMessages } from './messages/pages';
import { paymentMessages } from './messages/payments';
import { reasonMessages } from './messages/reasons';
import { reportMessages } from './messages/report';
import { sendAgainMessages } from './messages/send-again';
import { supportMessages } from './messages/support';

export type Catalog = Record<Locale, Record<string, string>>;
export type Params = Record<string, string | number>;

function merge(...catalogs: Catalog[]): Catalog {
  const out: Catalog = { en: {}, de: {}, fr: {} };
  for (const c of catalogs) for (const l of Object.keys(out) as Locale[]) Object.assign(out[l], c[l]);
  return out;
}

const CATALOG = merge(
  commonMessages,
  reasonMessages,
  paymentMessages,
  carrierMessages,
  conversionMessages,
  reportMessages,
  emailMessages,
  pageMessages,
  supportMessages,
  sendAgainMessages,
);

/** Translates `key` into `locale`, falling back to English, then to the key itself. */
export function t(locale: Locale, key: string, params: Params = {}): string {
  const template = CATALOG[locale][key] ?? CATALOG.en[key] ?? key;
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => (name in params ? String(params[name]) : whole));
}

const pluralRules = new Map<Locale, Intl.PluralRules>();

/**
 * Translates a message that depends on a number: `key.one`, `key.other` (and whatever else
 * the language's plural rules name) chosen by `count`, which is also a parameter.
 */
export function tPlural(locale: Locale, key: string, count: number, params: Params = {}): string {
  let rules = pluralRules.get(locale);
  if (!rules) {
    rules = new Intl.PluralRules(locale);
    pluralRules.set(locale, rules);
  }
  const exact = `${key}.${rules.select(count)}`;
  return t(locale, exact in CATALOG.en || exact in CATALOG[locale] ? exact : `${key}.other`, { count, ...params });
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

/** Every message under `prefix` in one language (the page script's few words). */
export function messagesWithPrefix(locale: Locale, prefix: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(CATALOG.en)) if (key.startsWith(prefix)) out[key.slice(prefix.length)] = CATALOG[locale][key] ?? value;
  return out;
}
