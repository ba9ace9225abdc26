import { bodyParser } from '@koa/bodyparser';
import Router from '@koa/router';
import type { DataSource } from 'typeorm';
import type { Config } from '../../config/config';
import type { DocumentStore } from '../../db/document-store';
import type { Faxes } from '../../db/faxes';
import { Reconciliations } from '../../db/reconciliations';
import { SupportActions } from '../../db/support-actions';
import { WebhookEvents } from '../../db/webhook-events';
import { LOCALES } from '../../domain/status';
import type { Logger } from '../../log';
import type { SupportSignIn } from '../../support/sign-in';
import type { FaxWorkflows } from '../fax-workflows';
import { requireCsrf } from '../middleware/csrf';
import { localeOf } from '../middleware/locale';
import type { RateLimits } from '../middleware/rate-limit';
import { cancelBySupport, refundBySupport, resendBySupport, type ActionDeps } from './actions';
import { faxDetailPage, supportPageImage } from './fax-detail';
import { reconciliationPage, runReconciliation, type ReconciliationPageDeps } from './reconciliation';
import type { SupportRenderer } from './render';
import { requireSupport, requireSupportFax } from './require-support';
import { searchPage } from './search';
import { signInByLink, signInPage, signInSubmit, signOut, type SignInPageDeps } from './sign-in-pages';
import type { SupportWorkflows } from './support-workflows';

export interface SupportDeps {
  config: Config;
  db: DataSource;
  renderer: SupportRenderer;
  signIn: SupportSignIn;
  faxes: Faxes;
  store: DocumentStore;
  workflows: FaxWorkflows;
  support: SupportWorkflows;
  limits: RateLimits;
  log: Logger;
}

/**
 * Support's pages, in each language under `/{lang}/support`: sign-in, search, a fax with
 * everything known about it, and the actions on it (each a signal or update of the fax's
 * workflow, each written to the audit log), and the daily reconciliation's reports with its
 * "run now". Every page but the sign-in needs a session.
 */
export function createSupportRoutes(deps: SupportDeps): Router {
  const { config, renderer, faxes } = deps;
  const signInDeps: SignInPageDeps = {
    renderer,
    signIn: deps.signIn,
    limits: deps.limits,
    cookies: { secure: !config.sandbox, domain: config.support.cookieDomain },
    sandbox: config.sandbox,
  };
  const detail: ActionDeps = {
    renderer,
    faxes,
    actions: new SupportActions(deps.db),
    webhooks: new WebhookEvents(deps.db),
    store: deps.store,
    workflows: deps.workflows,
    support: deps.support,
    maxTransmissions: config.policy.maxTransmissions,
    limits: config.limits,
    temporal: config.temporal,
    temporalUiUrl: config.support.temporalUiUrl,
    reports: new Reconciliations(deps.db),
    allowedCountries: config.allowedCountries,
    log: deps.log,
  };
  const reconciliation: ReconciliationPageDeps = { renderer, reports: detail.reports, support: deps.support, reconcileAt: config.reconcileAt, log: deps.log };
  const form = bodyParser({ enableTypes: ['form'], formLimit: '16kb' });
  const csrf = requireCsrf();
  const signedIn = requireSupport(deps.signIn);
  const fax = requireSupportFax(faxes);

  const router = new Router();
  router.get('/support', (ctx) => {
    ctx.status = 302;
    ctx.redirect(`/${localeOf(ctx)}/support`);
  });
  for (const l of LOCALES) {
    const at = `/${l}/support`;
    router.get(`${at}/login`, signInPage(signInDeps));
    router.post(`${at}/login`, form, csrf, signInSubmit(signInDeps));
    router.get(`${at}/login/:token`, signInByLink(signInDeps));
    router.post(`${at}/logout`, form, csrf, signOut(signInDeps));
    router.get(at, signedIn, searchPage({ renderer, faxes }));
    router.get(`${at}/faxes/:id`, signedIn, fax, faxDetailPage(detail));
    router.get(`${at}/faxes/:id/pages/:page`, signedIn, fax, supportPageImage(deps.store));
    router.post(`${at}/faxes/:id/cancel`, form, signedIn, csrf, fax, cancelBySupport(detail));
    router.post(`${at}/faxes/:id/refund`, form, signedIn, csrf, fax, refundBySupport(detail));
    router.post(`${at}/faxes/:id/resend`, form, signedIn, csrf, fax, resendBySupport(detail));
    router.get(`${at}/reconciliation`, signedIn, reconciliationPage(reconciliation));
    router.post(`${at}/reconciliation/run`, form, signedIn, csrf, runReconciliation(reconciliation));
  }
  return router;
}
