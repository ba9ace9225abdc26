import type Koa from 'koa';
import { isLocale, type Locale } from '../../domain/status';
import { acceptedLocale } from '../../i18n';

/** Where the request's language came from; only a request that chose none takes the fax's. */
type LocaleSource = 'path' | 'query' | 'field' | 'cookie' | 'header' | 'default';

interface LocaleState {
  locale?: Locale;
  localeSource?: LocaleSource;
}

/** The cookie that remembers a language picked with the language switch. */
export const LANGUAGE_COOKIE = 'lang';

const PREFIX = /^\/(en|de|fr)(?:\/|$)/;

/** The language a URL path names (`/de/…`), if any. */
export function pathLocale(path: string): Locale | null {
  const match = PREFIX.exec(path);
  return match && isLocale(match[1]) ? match[1] : null;
}

/**
 * Sets `ctx.state.locale` once per request, by one rule: the URL's language prefix, then
 * `?locale=`, then the language the visitor picked before (cookie), then Accept-Language
 * (when it names a language we speak), then English. A request that expressed no preference at all later takes the language of
 * the fax it is about (`preferFaxLocale`).
 */
export function localeMiddleware(): Koa.Middleware {
  return async (ctx, next) => {
    const state = ctx.state as LocaleState;
    const fromPath = pathLocale(ctx.path);
    const fromQuery = isLocale(ctx.query.locale) ? ctx.query.locale : null;
    const fromCookie = ctx.cookies.get(LANGUAGE_COOKIE);
    const fromHeader = acceptedLocale(ctx.get('Accept-Language'));
    if (fromPath) set(state, fromPath, 'path');
    else if (fromQuery) set(state, fromQuery, 'query');
    else if (isLocale(fromCookie)) set(state, fromCookie, 'cookie');
    else if (fromHeader) set(state, fromHeader, 'header');
    else set(state, 'en', 'default');
    await next();
  };
}

function set(state: LocaleState, locale: Locale, source: LocaleSource): void {
  state.locale = locale;
  state.localeSource = source;
}

/** The request's language (English before the middleware ran). */
export function localeOf(ctx: Koa.Context): Locale {
  const locale = (ctx.state as LocaleState).locale;
  return isLocale(locale) ? locale : 'en';
}

/** A language chosen in the request body (the API's `locale` form field) wins over a header. */
export function chooseLocale(ctx: Koa.Context, value: unknown): void {
  const state = ctx.state as LocaleState;
  if (isLocale(value) && state.localeSource !== 'path' && state.localeSource !== 'query') set(state, value, 'field');
}

/** A request about one fax that named no language is answered in the fax's. */
export function preferFaxLocale(ctx: Koa.Context, faxLocale: Locale): void {
  const state = ctx.state as LocaleState;
  if (state.localeSource === 'default') set(state, faxLocale, 'default');
}
