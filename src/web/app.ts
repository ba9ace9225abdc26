import Koa from 'koa';
import type { DataSource } from 'typeorm';
import type { Config } from '../config/config';
import type { DocumentStore } from '../db/document-store';
import { announceUpload } from '../db/upload-notices';
import { Faxes } from '../db/faxes';
import { SupportActions } from '../db/support-actions';
import type { Logger } from '../log';
import { webMetricsMiddleware } from '../metrics/web-metrics';
import type { Payments } from '../payments/types';
import { SupportSignIn } from '../support/sign-in';
import { createApiRoutes } from './api/routes';
import { Assets } from './assets';
import type { CreateFaxDeps } from './create-fax';
import { errorMiddleware, type ErrorPageRenderer } from './errors';
import { FaxChanges } from './fax-changes';
import type { FaxSignals } from './fax-signals';
import type { FaxWorkflows } from './fax-workflows';
import { createHealthRoutes, type ReadinessCheck } from './health';
import { createMediaRoutes } from './media';
import { accessLog } from './middleware/access-log';
import { localeMiddleware } from './middleware/locale';
import { RateLimits } from './middleware/rate-limit';
import { UploadGate } from './middleware/upload-gate';
import { securityHeaders, type SecurityOptions } from './middleware/security-headers';
import { PageRenderer } from './pages/render';
import { createPageRoutes } from './pages/routes';
import { createSandboxMailRoutes } from './sandbox/routes';
import { createStripeRoutes } from './stripe/routes';
import { isSupportPath, SupportRenderer } from './support/render';
import { createSupportRoutes } from './support/routes';
import type { SupportWorkflows } from './support/support-workflows';
import { createTelnyxRoutes } from './telnyx/routes';

export interface AppDeps {
  config: Config;
  db: DataSource;
  store: DocumentStore;
  workflows: FaxWorkflows;
  /** Support's refund and resend, updates of a fax's workflow. */
  support: SupportWorkflows;
  signals: FaxSignals;
  payments: Payments;
  log: Logger;
  readiness: Record<string, ReadinessCheck>;
  /** Live fax changes for status pages; made here when not given (the entrypoint passes its own to stop it). */
  changes?: FaxChanges;
}

/** Errors of a connection the client broke: Node's HTTP parser (HPE_*), a reset or a closed socket. */
function isClientFault(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (code.startsWith('HPE_') || ['ECONNRESET', 'EPIPE', 'ECONNABORTED', 'ERR_STREAM_PREMATURE_CLOSE'].includes(code));
}

/** Where Stripe Checkout lives: the twin in sandbox mode, Stripe's own site otherwise. */
function checkoutOrigin(config: Config): string {
  return config.stripe.apiBase ? new URL(config.stripe.apiBase).origin : 'https://checkout.stripe.com';
}

export interface FrameOptions {
  proxy?: boolean;
  security?: SecurityOptions;
  /** Errors a browser asked for become pages. */
  errorPage?: ErrorPageRenderer;
}

/**
 * The middleware every route runs behind, in order: the access log, the one error
 * middleware, the security headers and the request's language. Tests mount a single
 * router in it.
 */
export function createAppFrame(log: Logger, opts: FrameOptions = {}): Koa {
  const app = new Koa({ proxy: opts.proxy ?? false });
  const warned = new WeakSet<Koa.Context>();
  app.on('error', (err: unknown, ctx?: Koa.Context) => {
    if (!isClientFault(err)) {
      log.error('unhandled web error', { err });
      return;
    }
    // A client that hung up or sent a broken body: any client can do that at will, so a
    // warning without a stack, once per request, never an error.
    if (ctx && warned.has(ctx)) return;
    if (ctx) warned.add(ctx);
    log.warn('client went away or sent a broken request', { code: (err as { code?: unknown }).code, method: ctx?.method, path: ctx?.path });
  });
  app.use(accessLog(log));
  app.use(errorMiddleware(log, opts.errorPage));
  app.use(securityHeaders(opts.security ?? { formTargets: [], hsts: false }));
  if (opts.security?.hsts) {
    // Outside sandbox mode the public address is https (checked at start-up); TLS ends at a
    // proxy, so the cookies are Secure whatever the hop to this process is.
    app.use(async (ctx, next) => {
      ctx.cookies.secure = true;
      await next();
    });
  }
  app.use(localeMiddleware());
  return app;
}

/** Builds the web application without listening; the entrypoint (or a test) listens. */
export function createApp(deps: AppDeps): Koa {
  const { config, db, store, log } = deps;
  const faxes = new Faxes(db);
  const assets = new Assets();
  const renderer = new PageRenderer({ sandbox: config.sandbox, operator: config.operator, assets, secureCookies: !config.sandbox });
  const supportPages = new SupportRenderer(renderer);
  const app = createAppFrame(log, {
    proxy: config.production,
    security: { formTargets: [checkoutOrigin(config)], hsts: !config.sandbox },
    errorPage: (ctx, answer) => (isSupportPath(ctx.path) ? supportPages.renderError(ctx, answer) : renderer.renderError(ctx, answer)),
  });
  const create: CreateFaxDeps = {
    faxes,
    store,
    workflows: deps.workflows,
    allowedCountries: config.allowedCountries,
    appSecret: config.appSecret,
    maxUploadBytes: config.limits.maxUploadBytes,
    uploadIdleMs: config.web.uploadIdleMs,
    uploadBegun: () => announceUpload(db, log),
    log,
  };
  const limits = new RateLimits(db, config.rateLimits);
  const uploads = new UploadGate(config.web.maxConcurrentUploads);
  const routers = [
    createHealthRoutes(deps.readiness),
    assets.routes(),
    createPageRoutes({
      config,
      renderer,
      faxes,
      store,
      workflows: deps.workflows,
      changes: deps.changes ?? new FaxChanges(config.databaseUrl, log),
      limits,
      uploads,
      create,
      supportActions: new SupportActions(db),
    }),
    createApiRoutes({ ...create, faxes, store, workflows: deps.workflows, limits, uploads }),
    createMediaRoutes({ store, appSecret: config.appSecret }),
    createStripeRoutes({
      db,
      payments: deps.payments,
      signals: deps.signals,
      webhookSecret: config.stripe.webhookSecret,
      publicBaseUrl: config.web.publicBaseUrl,
      log,
      limits,
    }),
    createTelnyxRoutes({ db, signals: deps.signals, publicKey: config.carrier.publicKey, log }),
    createSandboxMailRoutes({ sandbox: config.sandbox, mailDir: config.email.sandboxMailDir, pages: renderer }),
    createSupportRoutes({
      config,
      db,
      renderer: supportPages,
      signIn: new SupportSignIn(db, { users: config.support.users, sandbox: config.sandbox }),
      faxes,
      store,
      workflows: deps.workflows,
      support: deps.support,
      limits,
      log,
    }),
  ];
  app.use(webMetricsMiddleware({ sandbox: config.sandbox, token: config.metrics.token }));
  for (const router of routers) app.use(router.routes()).use(router.allowedMethods());
  return app;
}
