import Koa from 'koa';
import type { DataSource } from 'typeorm';
import type { Config } from '../config/config';
import type { DocumentStore } from '../db/document-store';
import type { Logger } from '../log';
import type { Payments } from '../payments/types';
import { errorMiddleware } from './errors';
import type { FaxSignals } from './fax-signals';
import type { FaxWorkflows } from './fax-workflows';
import { createApiRoutes } from './routes/api';
import { createHealthRoutes, type ReadinessCheck } from './routes/health';
import { createMediaRoutes } from './routes/media';
import { createStripeRoutes } from './routes/stripe';
import { createTelnyxRoutes } from './routes/telnyx';

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

/** Logs each request by route, status and time: no query strings (tokens), no bodies. */
function accessLog(log: Logger): Koa.Middleware {
  return async (ctx, next) => {
    const started = process.hrtime.bigint();
    try {
      await next();
    } finally {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      const route = (ctx as Koa.Context & { _matchedRoute?: string })._matchedRoute ?? 'unmatched';
      log.info('request', { method: ctx.method, route, status: ctx.status, ms: Math.round(ms * 10) / 10 });
    }
  };
}

function securityHeaders(): Koa.Middleware {
  return async (ctx, next) => {
    ctx.set('X-Content-Type-Options', 'nosniff');
    ctx.set('Referrer-Policy', 'no-referrer');
    ctx.set('X-Frame-Options', 'DENY');
    await next();
  };
}

/** Builds the web application without listening; the entrypoint (or a test) listens. */
export function createApp(deps: AppDeps): Koa {
  const { config, db, store, log } = deps;
  const app = new Koa({ proxy: config.production });
  app.on('error', (err: unknown) => log.error('unhandled web error', { err }));
  app.use(accessLog(log));
  app.use(errorMiddleware(log));
  app.use(securityHeaders());
  const routers = [
    createHealthRoutes(deps.readiness),
    createApiRoutes({ db, store, workflows: deps.workflows, config, log }),
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
