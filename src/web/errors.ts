import type Koa from 'koa';
import type { ReasonCode } from '../domain/reasons';
import type { Locale } from '../domain/status';
import { formatBytes } from '../conversion/limits';
import { t, type Params } from '../i18n';
import type { Logger } from '../log';
import { localeOf } from './middleware/locale';

export interface ProblemOptions {
  /** Extra response headers (Retry-After, Connection: close). */
  headers?: Record<string, string>;
  /** The form field the problem is about, so a page can show it beside that field. */
  field?: string;
  /** A message other than the reason's own text (still translated). */
  messageKey?: string;
}

/**
 * A problem the client can fix (or must be told about), with a stable reason code whose
 * message is translated into the requester's language by the error middleware. Like Koa's
 * own errors it carries its status and headers, and it is always safe to show.
 */
export class HttpProblem extends Error {
  readonly expose = true;
  readonly headers: Record<string, string>;
  readonly field?: string;
  readonly messageKey: string;

  constructor(
    readonly status: number,
    readonly code: ReasonCode,
    readonly params: Params = {},
    options: ProblemOptions = {},
  ) {
    super(`${status} ${code}`);
    this.name = 'HttpProblem';
    this.headers = options.headers ?? {};
    this.field = options.field;
    this.messageKey = options.messageKey ?? `reason.${code}`;
  }

  /** The message a person reads, in their language. */
  translated(locale: Locale): string {
    return t(locale, this.messageKey, this.params);
  }
}

/** How long a client should wait before it asks again after a 503, in seconds. */
const RETRY_AFTER_SECS = '5';

/** The one "try again shortly" answer: the database, Temporal or a provider is out of reach, or too many uploads arrive at once. */
export function unavailable(messageKey?: string, headers: Record<string, string> = {}): HttpProblem {
  return new HttpProblem(503, 'service_unavailable', {}, { headers: { 'Retry-After': RETRY_AFTER_SECS, ...headers }, messageKey });
}

/** The JSON body of every API error. */
export interface ProblemBody {
  error: { code: string; message: string; field?: string };
}

/** What an error became: a status and a translated message, nothing internal. */
export interface Answer {
  status: number;
  code: string;
  message: string;
  field?: string;
}

/** Shows an error to a browser as a page; the JSON body is the answer for everything else. */
export type ErrorPageRenderer = (ctx: Koa.Context, answer: Answer) => void;

function isClientError(err: unknown): err is { status: number; expose?: boolean; message: string; headers?: Record<string, string>; limit?: unknown } {
  if (typeof err !== 'object' || err === null) return false;
  const status = (err as { status?: unknown }).status;
  return typeof status === 'number' && status >= 400 && status < 500;
}

const KOA_CODES: Record<number, ReasonCode> = { 404: 'not_found', 413: 'upload_too_large', 429: 'rate_limited' };

/** gRPC codes of a Temporal call that did not reach the server in time: deadline exceeded, unavailable. */
const GRPC_OUT_OF_REACH = new Set([4, 14]);
/** PostgreSQL's SQLSTATEs of a statement timeout, a server shutting down or full, and a lost connection. */
const PG_OUT_OF_REACH = /^(57014|57P0[123]|53300|08\w{3})$/;
/** node-postgres and pg-pool's own words for a connection or a query that timed out or was cut. */
const PG_TIMEOUT_MESSAGES = /timeout exceeded when trying to connect|Connection terminated|Query read timeout/;

/**
 * A dependency out of reach: PostgreSQL (pool or statement timeout, a lost connection) or
 * Temporal (deadline exceeded, unavailable). Looks through the wrappers TypeORM and the
 * Temporal client put around the driver's error.
 */
export function isOutOfReach(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; typeof e === 'object' && e !== null && depth < 5; depth++) {
    const { code, message, details } = e as { code?: unknown; message?: unknown; details?: unknown };
    if (typeof code === 'number' && typeof details === 'string' && GRPC_OUT_OF_REACH.has(code)) return true;
    if (typeof code === 'string' && (PG_OUT_OF_REACH.test(code) || code === 'ECONNREFUSED' || code === 'ETIMEDOUT')) return true;
    // A database connection the server cut (it died or restarted) is reset on read; a client's own abort has no syscall.
    if (code === 'ECONNRESET' && (e as { syscall?: unknown }).syscall === 'read') return true;
    if (typeof message === 'string' && PG_TIMEOUT_MESSAGES.test(message)) return true;
    e = (e as { driverError?: unknown; cause?: unknown }).driverError ?? (e as { cause?: unknown }).cause;
  }
  return false;
}

function answerFor(err: unknown, locale: Locale): Answer {
  if (err instanceof HttpProblem) return { status: err.status, code: err.code, message: err.translated(locale), field: err.field };
  if (isClientError(err)) {
    // Koa's and the libraries' own client errors: keep the status, say it in the person's words.
    const code = KOA_CODES[err.status] ?? 'invalid_request';
    const limit = typeof err.limit === 'number' ? formatBytes(err.limit) : '';
    return { status: err.status, code, message: t(locale, `reason.${code}`, { detail: err.expose ? err.message : String(err.status), limit }) };
  }
  if (isOutOfReach(err)) return { status: 503, code: 'service_unavailable', message: t(locale, 'error.unavailable') };
  return { status: 500, code: 'internal', message: t(locale, 'error.internal') };
}

/**
 * What a router answered with a bare status and no body: no route (404), a method the path
 * does not take (405, with its Allow header) or one nobody knows (501).
 */
const BARE_STATUSES: Record<number, { code: string; messageKey: string }> = {
  404: { code: 'not_found', messageKey: 'error.not_found' },
  405: { code: 'method_not_allowed', messageKey: 'error.method_not_allowed' },
  501: { code: 'method_not_allowed', messageKey: 'error.method_not_allowed' },
};

/** A browser asked for a page (not the API, not a webhook, not a script's fetch). */
function wantsPage(ctx: Koa.Context): boolean {
  if (ctx.path.startsWith('/api/') || ctx.path.startsWith('/webhooks/')) return false;
  return /text\/html/.test(ctx.get('Accept'));
}

/**
 * The one error middleware, at the top of the stack, and the one place errors are logged.
 * Known problems become 4xx answers with a translated message (a page for browsers, JSON
 * otherwise); a dependency out of reach is a 503 with Retry-After, logged as a warning;
 * anything else is logged and answered with a 500 that reveals nothing internal.
 */
export function errorMiddleware(log: Logger, renderPage?: ErrorPageRenderer): Koa.Middleware {
  const answer = (ctx: Koa.Context, a: Answer): void => {
    ctx.status = a.status;
    if (renderPage && wantsPage(ctx)) {
      renderPage(ctx, a);
      return;
    }
    const body: ProblemBody = { error: { code: a.code, message: a.message, ...(a.field ? { field: a.field } : {}) } };
    ctx.body = body;
    ctx.type = 'application/json';
  };
  return async (ctx, next) => {
    try {
      await next();
    } catch (err) {
      const a = answerFor(err, localeOf(ctx));
      if (a.status === 503 && !(err instanceof HttpProblem)) {
        log.warn('dependency out of reach', { method: ctx.method, path: ctx.path, error: err instanceof Error ? err.message : String(err) });
        ctx.set('Retry-After', RETRY_AFTER_SECS);
      } else if (a.status >= 500 && !(err instanceof HttpProblem)) {
        log.error('request failed', { err, method: ctx.method, path: ctx.path });
      }
      const headers = (err as { headers?: Record<string, string> }).headers;
      if (headers && (err instanceof HttpProblem || isClientError(err))) for (const [k, v] of Object.entries(headers)) ctx.set(k, v);
      answer(ctx, a);
      return;
    }
    // A router's bare answer (a page that does not exist, a method not allowed): the same
    // translated error as any other. A fax that does not exist is said by its own route.
    const bare = ctx.body === undefined ? BARE_STATUSES[ctx.status] : undefined;
    if (bare) answer(ctx, { status: ctx.status, code: bare.code, message: t(localeOf(ctx), bare.messageKey) });
  };
}
