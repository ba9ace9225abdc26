import path from 'node:path';
import { Eta } from 'eta';
import type Koa from 'koa';
import type { Operator } from '../../config/config';
import { LOCALES, type Locale } from '../../domain/status';
import { hasMessage, messagesWithPrefix, t, tPlural, type Params } from '../../i18n';
import type { Answer } from '../errors';
import type { Assets } from '../assets';
import { csrfToken } from '../middleware/csrf';
import { LANGUAGE_COOKIE, localeOf, pathLocale } from '../middleware/locale';

/** Views live at the project root; this file sits three folders below it in src/ and dist/. */
export const PAGE_VIEWS = path.resolve(__dirname, '../../../views/pages');

export interface PageSettings {
  sandbox: boolean;
  operator: Operator;
  assets: Assets;
  /** Whether cookies need HTTPS (outside sandbox mode). */
  secureCookies: boolean;
}

/** What every template gets besides its own data (as `it`). */
export interface PageFrame {
  locale: Locale;
  t: (key: string, params?: Params) => string;
  /** A message that depends on a number (`key.one`, `key.other`, …). */
  tp: (key: string, count: number, params?: Params) => string;
  /** A path in the current language: `url('/prices')` → `/de/prices`. */
  url: (to: string) => string;
  /** The current page in each language, for the language switch. */
  languages: Array<{ locale: Locale; name: string; href: string; current: boolean }>;
  csrf: string;
  sandbox: boolean;
  operator: Operator;
  css: string;
  js: string;
  title: string;
  /** The page script's words in this language, as JSON safe inside a <script> element. */
  clientText: string;
  /** The navigation entry of this page, underlined in the header. */
  section: string;
}

const CLIENT_TEXT = new Map<Locale, string>(LOCALES.map((l) => [l, JSON.stringify(messagesWithPrefix(l, 'page.client.')).replace(/</g, '\\u003c')]));

function clientText(locale: Locale): string {
  return CLIENT_TEXT.get(locale) ?? '{}';
}

/** Each language in its own words, for the language switch and support's pages. */
export const LANGUAGE_NAMES: Readonly<Record<Locale, string>> = { en: 'English', de: 'Deutsch', fr: 'Français' };

/** The path without its language prefix (`/de/prices` → `/prices`, `/de` → `/`). */
export function withoutLocale(p: string): string {
  return pathLocale(p) ? p.slice(3) || '/' : p;
}

/**
 * Renders the sender's pages: Eta views in `views/pages`, each laid out by `layout.eta`,
 * with the visitor's language, a CSRF token for its forms and the language switch.
 */
export class PageRenderer {
  private readonly eta = new Eta({ views: PAGE_VIEWS, cache: true, autoEscape: true, autoTrim: false });

  constructor(readonly settings: PageSettings) {}

  frame(ctx: Koa.Context, title: string, section = ''): PageFrame {
    const locale = localeOf(ctx);
    const rest = withoutLocale(ctx.path);
    const query = ctx.querystring && !ctx.query.t ? `?${ctx.querystring}` : '';
    return {
      locale,
      t: (key, params) => t(locale, key, params),
      tp: (key, count, params) => tPlural(locale, key, count, params),
      url: (to) => `/${locale}${to === '/' ? '/' : to}`,
      languages: LOCALES.map((l) => ({ locale: l, name: LANGUAGE_NAMES[l], href: `/${l}${rest === '/' ? '/' : rest}${query}`, current: l === locale })),
      csrf: csrfToken(ctx, this.settings.secureCookies),
      sandbox: this.settings.sandbox,
      operator: this.settings.operator,
      css: this.settings.assets.url('style.css'),
      js: this.settings.assets.url('app.js'),
      title,
      clientText: clientText(locale),
      section,
    };
  }

  /** Renders `view` with the frame and `data`; the visitor's language is remembered for `/`. */
  render(ctx: Koa.Context, view: string, data: { title: string; section?: string } & Record<string, unknown>, status = 200): void {
    const frame = this.frame(ctx, data.title, data.section);
    if (pathLocale(ctx.path)) {
      ctx.cookies.set(LANGUAGE_COOKIE, frame.locale, {
        httpOnly: true,
        sameSite: 'lax',
        secure: this.settings.secureCookies,
        path: '/',
        maxAge: 365 * 86_400_000,
        overwrite: true,
      });
    }
    ctx.status = status;
    ctx.type = 'text/html; charset=utf-8';
    ctx.set('Cache-Control', 'no-store');
    ctx.set('Vary', 'Accept-Language, Cookie');
    ctx.body = this.eta.render(`./${view}`, { ...frame, ...data });
  }

  /** Just the main part of a page, for the status page's script to swap in. */
  renderPartial(ctx: Koa.Context, view: string, data: { title: string } & Record<string, unknown>): string {
    return this.eta.render(`./${view}`, { ...this.frame(ctx, data.title), ...data });
  }

  /** An error shown as a page, in the visitor's language, never with anything internal. */
  renderError(ctx: Koa.Context, answer: Answer): void {
    const locale = localeOf(ctx);
    const key = hasMessage(`page.error.title.${answer.status}`) ? `page.error.title.${answer.status}` : 'page.error.title.other';
    this.render(ctx, 'error', { title: t(locale, key), answer }, answer.status);
  }
}
