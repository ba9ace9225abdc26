import type Koa from 'koa';
import type { Operator } from '../../config/config';
import { formatMoney, priceFor, type PriceTable } from '../../domain/pricing';
import { t } from '../../i18n';
import { localeOf } from '../middleware/locale';
import { countryOptions, durationWords } from './format';
import type { PageRenderer } from './render';

export interface InfoDeps {
  renderer: PageRenderer;
  prices: PriceTable;
  allowedCountries: readonly string[];
  retentionMs: number;
  paymentWindowMs: number;
  maxTransmissions: number;
  retryDelayMs: number;
  maxPages: number;
  maxUploadBytes: number;
  operator: Operator;
}

/** GET /{lang}/prices: every country served with its rate, from the one price table. */
export function pricesPage(deps: InfoDeps): Koa.Middleware {
  return async (ctx) => {
    const locale = localeOf(ctx);
    const money = (amount: number): string => formatMoney(amount, deps.prices.currency, locale);
    const rows = countryOptions(deps.allowedCountries, locale).map((c) => {
      const one = priceFor(c.code, 1, deps.prices);
      const five = priceFor(c.code, 5, deps.prices);
      return { ...c, base: money(one.rate.base), perPage: money(one.rate.perPage), one: money(one.amount), five: money(five.amount) };
    });
    deps.renderer.render(ctx, 'prices', { title: t(locale, 'page.prices.title'), section: 'prices', rows, currency: deps.prices.currency.toUpperCase() });
  };
}

/** The facts the help and legal pages quote, from the configuration (never hard-coded in the text). */
function facts(deps: InfoDeps, ctx: Koa.Context) {
  const locale = localeOf(ctx);
  return {
    retention: durationWords(deps.retentionMs, locale),
    paymentWindow: durationWords(deps.paymentWindowMs, locale),
    retryDelay: durationWords(deps.retryDelayMs, locale),
    transmissions: deps.maxTransmissions,
    maxPages: deps.maxPages,
    maxSize: `${Math.round(deps.maxUploadBytes / (1024 * 1024))} MB`,
    countries: deps.allowedCountries.length,
    operator: deps.operator,
  };
}

/** GET /{lang}/faq, /terms, /privacy, /imprint: short pages whose facts come from the configuration. */
export function infoPage(deps: InfoDeps, view: 'faq' | 'terms' | 'privacy' | 'imprint'): Koa.Middleware {
  return async (ctx) => {
    const locale = localeOf(ctx);
    deps.renderer.render(ctx, view, { title: t(locale, `page.${view}.title`), section: view, facts: facts(deps, ctx) });
  };
}
