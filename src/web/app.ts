import Koa from 'koa';
import type { DataSource } from 'typeorm';
import type { Config } from '../config/config';
import type { DocumentStore } from '../db/document-store';
import { Faxes } from '../db/faxes';
import type { Logger } from '../log';
import type { Payments } from '../payments/types';
import { createApiRoutes } from './api/routes';
import { errorMiddleware } from './errors';
import type { FaxSignals } from './fax-signals';
import type { FaxWorkflows } from './fax-workflows';
import { createHealthRoutes, type ReadinessCheck } from './health';
import { createMediaRoutes } from './media';
import { accessLog } from './middleware/access-log';
import { localeMiddleware } from './middleware/locale';
import { securityHeaders, type SecurityOptions } from './middleware/security-headers';
import { createStripeRoutes } from './stripe/routes';
import { createTelnyxRoutes } from './telnyx/routes';

export interface AppDeps {
  config: Config;
  db: DataSource;
  store: DocumentStore;
  workflows: FaxWorkflows;
  signals: FaxSignals;
  payments: Payments;
  log: Logger;
  readiness: Record<string, ReadinessCheck>;
}

/** Where Stripe Checkout lives: the twin in sandbox mode, Stripe's own site otherwise. */
function checkoutOrigin(config: Config): string {
  return config.stripe.apiBase ? new URL(config.stripe.apiBase).origin : 'https://checkout.stripe.com';
}

export interface FrameOptions {
  proxy?: boolean;
  security?: SecurityOptions;
}

/**
 * The middleware every route runs behind, in order: the access log, the one error
 * middleware, the security headers and the request's language. Tests mount a single
 * router in it.
 */
export function createAppFrame(log: Logger, opts: FrameOptions = {}): Koa {
  const app = new Koa({ proxy: opts.proxy ?? false });
  app.on('error', (err: unknown) => log.error('unhandled web error', { err }));
  app.use(accessLog(log));
  app.use(errorMiddleware(log));
  app.use(securityHeaders(opts.security ?? { formTargets: [], hsts: false }));
  app.use(localeMiddleware());
  return app;
}

/** Builds the web application without listening; the entrypoint (or a test) listens. */
export function createApp(deps: AppDeps): Koa {
  const { config, db, store, log } = deps;
  const faxes = new Faxes(db);
  const app = createAppFrame(log, { proxy: config.production, security: { formTargets: [checkoutOrigin(config)], hsts: !config.sandbox } });
  const routers = [
    createHealthRoutes(deps.readiness),
    createApiRoutes({
      faxes,
      store,
      workflows: deps.workflows,
      allowedCountries: config.allowedCountries,
      appSecret: config.appSecret,
      maxUploadBytes: config.limits.maxUploadBytes,
      log,
    }),
    createMediaRoutes({ store, appSecret: config.appSecret }),
    createStripeRoutes({
      db,
      payments: deps.payments,
      signals: deps.signals,
      webhookSecret: config.stripe.webhookSecret,
      publicBaseUrl: config.web.publicBaseUrl,
      log,
    }),
    createTelnyxRoutes({ db, signals: deps.signals, publicKey: config.carrier.publicKey, log }),
  ];
  for (const router of routers) app.use(router.routes()).use(router.allowedMethods());
  return app;
}
