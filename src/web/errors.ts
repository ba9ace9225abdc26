import type Koa from 'koa';
import type { ReasonCode } from '../domain/reasons';
import { negotiateLocale, t, type Params } from '../i18n';
import type { Logger } from '../log';

/**
 * A problem the client can fix (or must be told about), with a stable reason code whose
 * message is translated into the requester's language by the error middleware.
 */
export class HttpProblem extends Error {
  constructor(
    readonly status: number,
    readonly code: ReasonCode,
    readonly params: Params = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(`${status} ${code}`);
    this.name = 'HttpProblem';
  }
}

/** The JSON body of every API error. */
export interface ProblemBody {
  error: { code: string; message: string };
}

function localeOf(ctx: Koa.Context): ReturnType<typeof negotiateLocale> {
  const state = ctx.state as { locale?: unknown };
  return negotiateLocale(state.locale ?? ctx.query.locale, ctx.get('Accept-Language'));
}

/**
 * The one error middleware, at the top of the stack. Known problems become 4xx JSON with a
 * translated message; Koa's own client errors (bad JSON, too large) keep their status with
 * a generic translated text; anything else is logged and answered with a 500 that reveals
 * nothing internal.
 */
export function errorMiddleware(log: Logger): Koa.Middleware {
  return async (ctx, next) => {
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined) {
        throw new HttpProblem(404, 'not_found');
      }
    } catch (err) {
      const locale = localeOf(ctx);
      let status = 500;
      let code = 'internal';
      let message = t(locale, 'error.internal');
      if (err instanceof HttpProblem) {
        status = err.status;
        code = err.code;
        message = t(locale, `reason.${err.code}`, err.params);
        for (const [k, v] of Object.entries(err.headers)) ctx.set(k, v);
      } else if (isClientError(err)) {
        status = err.status;
        code = status === 413 ? 'upload_too_large' : status === 404 ? 'not_found' : status === 405 ? 'method_not_allowed' : 'invalid_request';
        message =
          status === 405
            ? t(locale, 'error.method_not_allowed')
            : t(locale, `reason.${code}`, { detail: err.expose ? err.message : String(status), limit: '' });
      } else {
        log.error('request failed', { err, method: ctx.method, path: ctx.path });
      }
      ctx.status = status;
      const body: ProblemBody = { error: { code, message } };
      ctx.body = body;
      ctx.type = 'application/json';
    }
  };
}

function isClientError(err: unknown): err is { status: number; expose?: boolean; message: string } {
  if (typeof err !== 'object' || err === null) return false;
  const status = (err as { status?: unknown }).status;
  return typeof status === 'number' && status >= 400 && status < 500;
}
