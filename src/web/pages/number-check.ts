import type Koa from 'koa';
import { formatForDisplay, validateFaxNumber } from '../../domain/phone';
import { t } from '../../i18n';
import { localeOf } from '../middleware/locale';
import { countryName } from './format';

/**
 * GET /api/numbers/check?to=…&country=…: the form's check as the number is typed — the very
 * rules the upload applies (served countries, no premium or short numbers) — answered with
 * the number in international form, or the problem in the visitor's words.
 */
export function numberCheck(allowedCountries: readonly string[]): Koa.Middleware {
  return async (ctx) => {
    const locale = localeOf(ctx);
    const to = typeof ctx.query.to === 'string' ? ctx.query.to : '';
    const country = typeof ctx.query.country === 'string' ? ctx.query.country : undefined;
    const result = validateFaxNumber(to, allowedCountries, country);
    ctx.set('Cache-Control', 'no-store');
    ctx.body = result.ok
      ? { ok: true, e164: result.e164, international: formatForDisplay(result.e164), country: result.country, countryName: countryName(result.country, locale) }
      : { ok: false, code: result.reason, message: t(locale, `reason.${result.reason}`) };
  };
}
