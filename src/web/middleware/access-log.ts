import type Koa from 'koa';
import type { Logger } from '../../log';

/** Logs each request by route, status and time: no query strings (tokens), no bodies. */
export function accessLog(log: Logger): Koa.Middleware {
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
