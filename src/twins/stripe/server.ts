import http from 'node:http';
import Koa from 'koa';
import { createLogger, type Logger } from '../../log';
import { apiMiddleware, type FaultRule } from './api';
import { TwinContext } from './context';
import type { DeliveryRecord, EventJson } from './model';
import { pageRouter } from './page';
import { TwinStore } from './store';
import { sweep } from './sweep';
import { DEFAULT_RETRY_DELAYS_MS, WebhookDeliverer } from './webhooks';

/** Card networks hold an authorization for about seven days. */
const DEFAULT_HOLD_WINDOW_MS = 7 * 24 * 3600_000;

export interface StripeTwinOptions {
  /** 0 picks a free port. */
  port: number;
  host?: string;
  /** Where state is kept across restarts; undefined keeps it in memory. */
  dataDir?: string;
  /** Where signed webhook events are delivered; none are sent without it. */
  webhookUrl?: string;
  webhookSecret: string;
  /** Time from authorization to the hold's `capture_before`. */
  holdWindowMs?: number;
  log?: Logger;
  /** Pauses between delivery attempts; one more attempt than entries. */
  webhookRetryDelaysMs?: number[];
  /** Accept only this secret key (default: any `sk_test_…` key). */
  apiKey?: string;
  /** The base of the hosted page's URL, when browsers reach the twin under another name. */
  publicUrl?: string;
  merchantName?: string;
  /** How often background expiry runs (sessions, holds, failing refunds). */
  sweepIntervalMs?: number;
  /** Journal size below which it is never compacted (default 1 MiB). */
  journalMinCompactBytes?: number;
  /** Events kept at most: the oldest with a settled webhook go beyond it (default 10,000). */
  maxEvents?: number;
  /** How long a settled object stays in memory after its last use, with a data folder (default 30 s). */
  pageIdleMs?: number;
}

export interface StripeTwin {
  url: string;
  port: number;
  stop(): Promise<void>;
  /** Test clock: moves the twin's business time (expiry, hold deadlines) forward. */
  advanceClock(ms: number): Promise<void>;
  /** Runs the background expiry now; returns how many objects changed. */
  sweep(): Promise<number>;
  /** Answers the next matching requests with a Stripe error (rate limit, lock timeout, 5xx). */
  injectFault(rule: Omit<FaultRule, 'times'> & { times?: number }): void;
  /** Resolves once no webhook delivery is in flight or due. */
  webhooksIdle(timeoutMs?: number): Promise<void>;
  /** Events created so far, oldest first, optionally of one type. */
  events(type?: string): EventJson[];
  /** The delivery record of an event to the webhook endpoint, if one is configured. */
  delivery(eventId: string): DeliveryRecord | null;
  /** Objects in memory, and in all: settled ones idle for `pageIdleMs` are paged out at each sweep. */
  residency(): { resident: number; total: number };
}

function listen(server: http.Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      reject(err.code === 'EADDRINUSE' ? new Error(`Stripe twin: port ${port} on ${host} is already in use`) : err);
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      const addr = server.address();
      resolve(typeof addr === 'object' && addr ? addr.port : port);
    });
  });
}

/**
 * Starts the offline Stripe twin: Stripe's REST API for Checkout and manual-capture
 * PaymentIntents, a hosted test checkout page, and signed webhooks. For sandbox mode only.
 */
export async function startStripeTwin(opts: StripeTwinOptions): Promise<StripeTwin> {
  const host = opts.host ?? '127.0.0.1';
  const log = opts.log ?? createLogger('stripe-twin');
  const store = await TwinStore.open(opts.dataDir, { log, minCompactBytes: opts.journalMinCompactBytes, maxEvents: opts.maxEvents, pageIdleMs: opts.pageIdleMs });
  const faults: FaultRule[] = [];
  const app = new Koa();
  // The handler is bound once the middleware is in place; the port must be known first (URLs).
  let handle: http.RequestListener = (_req, res) => res.writeHead(503).end();
  const server = http.createServer((req, res) => handle(req, res));
  const port = await listen(server, opts.port, host);
  const url = (opts.publicUrl ?? `http://${host}:${port}`).replace(/\/+$/, '');

  let deliverer: WebhookDeliverer | null = null;
  const ctx = new TwinContext(store, {
    baseUrl: url,
    holdWindowMs: opts.holdWindowMs ?? DEFAULT_HOLD_WINDOW_MS,
    webhookUrl: opts.webhookUrl ?? null,
    log,
    onEvents: () => deliverer?.kick(),
  });
  if (opts.webhookUrl) {
    deliverer = new WebhookDeliverer(ctx, { url: opts.webhookUrl, secret: opts.webhookSecret, retryDelaysMs: opts.webhookRetryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS });
  }

  app.on('error', (err: unknown) => log.error('stripe twin error', { err }));
  app.use(apiMiddleware(ctx, { apiKey: opts.apiKey, faults }));
  const pages = pageRouter(ctx, { merchantName: opts.merchantName ?? 'Durafax' });
  app.use(pages.routes());
  app.use(async (koa) => {
    koa.status = 404;
    koa.type = 'text/plain; charset=utf-8';
    koa.body = 'Not found (Stripe sandbox)';
  });
  const callback = app.callback();
  // Koa's callback handles its own errors; its promise only says when the response ended.
  handle = (req, res) => void callback(req, res);

  const runSweep = async (): Promise<number> => {
    const changed = sweep(ctx);
    if (changed > 0) await ctx.commit();
    ctx.store.pageOut();
    return changed;
  };
  const sweeper = setInterval(() => {
    runSweep().catch((err: unknown) => log.error('stripe twin sweep failed', { err }));
  }, opts.sweepIntervalMs ?? 1000);
  sweeper.unref();
  deliverer?.kick();
  log.info('stripe twin listening', { url, persistent: Boolean(opts.dataDir), webhooks: Boolean(opts.webhookUrl) });

  let stopped: Promise<void> | null = null;
  return {
    url,
    port,
    stop: () => {
      stopped ??= (async () => {
        clearInterval(sweeper);
        await deliverer?.stop();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
        await store.close();
      })();
      return stopped;
    },
    advanceClock: async (ms) => {
      store.state.clockOffsetMs += ms;
      store.changed('clockOffsetMs');
      await store.save();
    },
    sweep: runSweep,
    injectFault: (rule) => {
      faults.push({ ...rule, times: rule.times ?? 1 });
    },
    webhooksIdle: (timeoutMs) => deliverer?.idle(timeoutMs) ?? Promise.resolve(),
    events: (type) => [...store.state.events.values()].filter((e) => !type || e.type === type),
    delivery: (eventId) => store.state.deliveries.get(eventId) ?? null,
    residency: () => store.residency(),
  };
}
