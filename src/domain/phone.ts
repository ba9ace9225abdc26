import { parsePhoneNumberFromString, type CountryCode, type NumberType } from 'libphonenumber-js/max';

type FaxNumberProblem = 'missing_number' | 'invalid_number' | 'country_not_served' | 'number_type_not_allowed';

export type FaxNumberResult = { ok: true; e164: string; country: string } | { ok: false; reason: FaxNumberProblem };

/**
 * Number types a fax must never be sent to: they cost the caller extra or reach no fax
 * machine. Fixed lines, mobiles (fax-to-email services), toll-free and VoIP numbers pass;
 * so does a valid number whose type the metadata cannot tell.
 */
const REFUSED_TYPES: ReadonlySet<NumberType> = new Set<NumberType>(['PREMIUM_RATE', 'SHARED_COST', 'PERSONAL_NUMBER', 'PAGER', 'VOICEMAIL', 'UAN']);

/** Longer input is not a phone number, and parsing it would only cost time. */
const MAX_INPUT_LENGTH = 40;
/** Digits, a leading + or 00, and the separators people type; no letters (vanity numbers). */
const ALLOWED_CHARACTERS = /^[0-9+()\-./\s]+$/;

/**
 * Checks a typed fax number before anything is sent or charged: it must be a complete
 * international number (leading + or 00) — or a national one when the sender picked the
 * country —, valid by the full metadata, in a served country, and not of a type that cannot
 * or must not receive a fax.
 */
export function validateFaxNumber(input: string, allowedCountries: readonly string[], chosenCountry?: string): FaxNumberResult {
  const trimmed = input.trim();
  if (!trimmed) return { ok: false, reason: 'missing_number' };
  if (trimmed.length > MAX_INPUT_LENGTH || !ALLOWED_CHARACTERS.test(trimmed)) return { ok: false, reason: 'invalid_number' };

  // Without a country code the destination is ambiguous unless the country was chosen; 00 is
  // the common international prefix.
  const upper = chosenCountry?.toUpperCase();
  const chosen = upper && allowedCountries.includes(upper) ? (upper as CountryCode) : undefined;
  const international = trimmed.startsWith('00') ? `+${trimmed.slice(2)}` : trimmed;
  if (international.indexOf('+', 1) !== -1 || (!international.startsWith('+') && !chosen)) return { ok: false, reason: 'invalid_number' };

  const parsed = international.startsWith('+') ? parsePhoneNumberFromString(international) : parsePhoneNumberFromString(international, chosen);
  if (!parsed || !parsed.isValid() || parsed.ext) return { ok: false, reason: 'invalid_number' };

  const country = parsed.country;
  if (!country || !allowedCountries.includes(country)) return { ok: false, reason: 'country_not_served' };
  if (REFUSED_TYPES.has(parsed.getType())) return { ok: false, reason: 'number_type_not_allowed' };

  return { ok: true, e164: parsed.number, country };
}

/**
 * An E.164 number in international format for pages and support (`+49 30 12340001`); a dash
 * for a number redacted at retention's end.
 */
export function formatForDisplay(e164: string | null): string {
  if (e164 === null) return '—';
  const parsed = parsePhoneNumberFromString(e164);
  return parsed ? parsed.formatInternational() : e164;
}
