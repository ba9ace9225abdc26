import { timingSafeEqual } from 'node:crypto';
import type { RouterContext } from '@koa/router';
import type Koa from 'koa';
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';

/** Who may read the web's `/metrics`: anyone in sandbox mode, otherwise the holder of METRICS_TOKEN (none when unset). */
export interface MetricsAccess {
  sandbox: boolean;
  token: string | null;
}

interface WebMetrics {
  registry: Registry;
  latency: Histogram<'method' | 'route' | 'status'>;
  webhookRejections: Counter<'provider' | 'status'>;
}

let shared: WebMetrics | undefined;

/** One registry per process: every app a process builds (tests build several) counts into it. */
function webMetrics(): WebMetrics {
  if (shared) return shared;
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'durafax_web_' });
  shared = {
    registry,
    latency: new Histogram({
      name: 'durafax_http_request_duration_seconds',
      help: 'Time to answer an HTTP request, by method, route (the pattern, not the path) and status',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    }),
    webhookRejections: new Counter({
      name: 'durafax_webhook_rejections_total',
      help: 'Provider webhooks answered 4xx (bad signature, unreadable, too large…), by provider and status',
      labelNames: ['provider', 'status'],
      registers: [registry],
    }),
  };
  return shared;
}

function allowed(ctx: Koa.Context, access: MetricsAccess): boolean {
  if (access.token) {
    const given = Buffer.from(/^Bearer (\S+)$/.exec(ctx.get('Authorization'))?.[1] ?? '');
    const expected = Buffer.from(access.token);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }
  return access.sandbox;
}

/** The route's pattern once a router matched it; one label for everything else, so paths cannot explode the series. */
function routeOf(ctx: Koa.Context): string {
  const matched = (ctx as Koa.Context & Partial<RouterContext>)._matchedRoute;
  return matched === undefined ? 'unmatched' : String(matched);
}

/**
 * Times every request by route, counts webhook rejections, and answers `GET /metrics` with
 * the web process's registry (Node's process metrics included). Mounted once, before the routes.
 */
export function webMetricsMiddleware(access: MetricsAccess): Koa.Middleware {
  const metrics = webMetrics();
  return async (ctx, next) => {
    if (ctx.path === '/metrics' && ctx.method === 'GET') {
      // Unknown to those who may not read it, as any missing page.
      if (!allowed(ctx, access)) ctx.throw(404);
      ctx.type = metrics.registry.contentType;
      ctx.body = await metrics.registry.metrics();
      return;
    }
    const started = process.hrtime.bigint();
    let status = 500;
    try {
      await next();
      status = ctx.status;
    } catch (err) {
      const thrown = (err as { status?: unknown } | null)?.status;
      status = typeof thrown === 'number' ? thrown : 500;
      throw err;
    } finally {
      const route = routeOf(ctx);
      metrics.latency.observe({ method: ctx.method, route, status: String(status) }, Number(process.hrtime.bigint() - started) / 1e9);
      const provider = /^\/webhooks\/(stripe|telnyx)$/.exec(route)?.[1];
      if (provider && status >= 400 && status < 500) metrics.webhookRejections.inc({ provider, status: String(status) });
    }
  };
}
