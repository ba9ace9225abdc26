import { bodyParser } from '@koa/bodyparser';
import Router from '@koa/router';
import type Koa from 'koa';
import type { Config } from '../../config/config';
import type { DocumentStore } from '../../db/document-store';
import type { Faxes } from '../../db/faxes';
import type { SupportActions } from '../../db/support-actions';
import { LOCALES } from '../../domain/status';
import type { CreateFaxDeps } from '../create-fax';
import type { FaxChanges } from '../fax-changes';
import type { FaxWorkflows } from '../fax-workflows';
import { requireCsrf } from '../middleware/csrf';
import { localeOf } from '../middleware/locale';
import { limitGlobally, limitPerFaxNumber, limitPerIp, type RateLimits } from '../middleware/rate-limit';
import type { UploadGate } from '../middleware/upload-gate';
import { requireFax } from '../middleware/require-fax';
import { faxEvents } from './fax-events';
import { cancelFax, exchangeToken, faxPage, payForFax } from './fax-pages';
import { homePage, submitFax, uploadProblemsAsForm } from './home';
import { infoPage, pricesPage } from './info-pages';
import { numberCheck } from './number-check';
import { withoutLocale, type PageRenderer } from './render';
import { reportDownload } from './report';
import { sendFaxAgain } from './send-again';

export interface PageDeps {
  config: Config;
  renderer: PageRenderer;
  faxes: Faxes;
  store: DocumentStore;
  workflows: FaxWorkflows;
  changes: FaxChanges;
  limits: RateLimits;
  uploads: UploadGate;
  create: CreateFaxDeps;
  supportActions: SupportActions;
}

/** Pages without a language in their path go to the visitor's (cookie, then Accept-Language, then English). */
function toLocale(): Koa.Middleware {
  return async (ctx) => {
    ctx.set('Vary', 'Accept-Language, Cookie');
    ctx.set('Cache-Control', 'no-store');
    ctx.status = 302;
    const rest = withoutLocale(ctx.path);
    ctx.redirect(`/${localeOf(ctx)}${rest === '/' ? '/' : rest}${ctx.search}`);
  };
}

/** The sender's pages, in each language under its prefix (`/en/…`, `/de/…`, `/fr/…`). */
export function createPageRoutes(deps: PageDeps): Router {
  const { config, renderer, faxes, limits } = deps;
  const secureCookies = !config.sandbox;
  const home = { renderer, create: deps.create, limits, prices: config.policy.prices, maxPages: config.limits.maxPages, retentionMs: config.policy.retentionMs, secureCookies };
  const fax = {
    renderer,
    faxes,
    workflows: deps.workflows,
    prices: config.policy.prices,
    maxTransmissions: config.policy.maxTransmissions,
    limits: config.limits,
    secureCookies,
    supportActions: deps.supportActions,
  };
  const info = {
    renderer,
    prices: config.policy.prices,
    allowedCountries: config.allowedCountries,
    retentionMs: config.policy.retentionMs,
    paymentWindowMs: config.policy.paymentWindowMs,
    maxTransmissions: config.policy.maxTransmissions,
    retryDelayMs: config.policy.retryDelayMs,
    maxPages: config.limits.maxPages,
    maxUploadBytes: config.limits.maxUploadBytes,
    operator: config.operator,
  };
  const ownFax = requireFax(faxes);
  const form = bodyParser({ enableTypes: ['form'], formLimit: '16kb' });
  const csrf = requireCsrf();

  const router = new Router();
  // Browsers ask for it whatever the page says.
  router.get('/favicon.ico', (ctx) => {
    ctx.status = 301;
    ctx.redirect('/assets/favicon.svg');
  });
  router.get('/api/numbers/check', limitPerIp(limits, 'numberCheck'), numberCheck(config.allowedCountries));
  for (const path of ['/', '/prices', '/faq', '/terms', '/privacy', '/imprint', '/faxes/:id']) router.get(path, toLocale());
  for (const l of LOCALES) {
    router.get(`/${l}/`, homePage(home));
    router.post(`/${l}/faxes`, deps.uploads.admit(), limitPerIp(limits, 'upload'), limitGlobally(limits, 'uploadGlobal'), uploadProblemsAsForm(home), submitFax(home));
    router.get(`/${l}/faxes/:id`, exchangeToken(fax), ownFax, faxPage(fax));
    router.get(`/${l}/faxes/:id/events`, ownFax, faxEvents({ faxes, changes: deps.changes }));
    router.get(`/${l}/faxes/:id/report.pdf`, limitPerIp(limits, 'report'), ownFax, reportDownload({ faxes, store: deps.store, operator: config.operator }));
    router.post(`/${l}/faxes/:id/pay`, form, csrf, limitPerIp(limits, 'pay'), ownFax, limitPerFaxNumber(limits, 'payPerNumber'), payForFax(fax));
    router.post(`/${l}/faxes/:id/cancel`, form, csrf, limitPerIp(limits, 'cancel'), ownFax, limitPerFaxNumber(limits, 'cancelPerNumber'), cancelFax(fax));
    router.post(
      `/${l}/faxes/:id/send-again`,
      form,
      csrf,
      limitPerIp(limits, 'upload'),
      limitGlobally(limits, 'uploadGlobal'),
      ownFax,
      sendFaxAgain({ page: fax, create: deps.create, rateLimits: limits }),
    );
    router.get(`/${l}/prices`, pricesPage(info));
    for (const view of ['faq', 'terms', 'privacy', 'imprint'] as const) router.get(`/${l}/${view}`, infoPage(info, view));
  }
  return router;
}
