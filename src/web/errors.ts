import type Koa from 'koa';
import type { ReasonCode } from '../domain/reasons';
import type { Locale } from '../domain/status';
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

/** The one "try again shortly" answer: the database, Temporal or a provider is out of reach. */
export function unavailable(messageKey?: string): HttpProblem {
  return new HttpProblem(503, 'service_unavailable', {}, { headers: { 'Retry-After': '5' }, messageKey });
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

function isClientError(err: unknown): err is { status: number; expose?: boolean; message: string; headers?: Record<string, string> } {
  if (typeof err !== 'object' || err === null) return false;
  const status = (err as { status?: unknown }).status;
  return typeof status === 'number' && status >= 400 && status < 500;
}

const KOA_CODES: Record<number, ReasonCode> = { 404: 'not_found', 413: 'upload_too_large', 429: 'rate_limited' };

function answerFor(err: unknown, locale: Locale): Answer {
  if (err instanceof HttpProblem) return { status: err.status, code: err.code, message: err.translated(locale), field: err.field };
  if (isClientError(err)) {
    // Koa's and the libraries' own client errors: keep the status, say it in the person's words.
    const code = KOA_CODES[err.status] ?? (err.status === 405 ? 'method_not_allowed' : 'invalid_request');
    const message =
      err.status === 405 ? t(locale, 'error.method_not_allowed') : t(locale, `reason.${code}`, { detail: err.expose ? err.message : String(err.status), limit: '' });
    return { status: err.status, code, message };
  }
  return { status: 500, code: 'internal', message: t(locale, 'error.internal') };
}

/** A browser asked for a page (not the API, not a webhook, not a script's fetch). */
function wantsPage(ctx: Koa.Context): boolean {
  if (ctx.path.startsWith('/api/') || ctx.path.startsWith('/webhooks/')) return false;
  return /text\/html/.test(ctx.get('Accept'));
}

/**
 * The one error middleware, at the top of the stack, and the one place errors are logged.
 * Known problems become 4xx answers with a translated message (a page for browsers, JSON
 * otherwise); anything else is logged and answered with a 500 that reveals nothing internal.
 */
export function errorMiddleware(log: Logger, renderPage?: ErrorPageRenderer): Koa.Middleware {
  return async (ctx, next) => {
    try {
      await next();
      // No route answered: a page that does not exist (a fax that does not is said by its own route).
      if (ctx.status === 404 && ctx.body === undefined) throw new HttpProblem(404, 'not_found', {}, { messageKey: 'error.not_found' });
    } catch (err) {
      const answer = answerFor(err, localeOf(ctx));
      if (answer.status >= 500 && !(err instanceof HttpProblem)) log.error('request failed', { err, method: ctx.method, path: ctx.path });
      const headers = (err as { headers?: Record<string, string> }).headers;
      if (headers && (err instanceof HttpProblem || isClientError(err))) for (const [k, v] of Object.entries(headers)) ctx.set(k, v);
      ctx.status = answer.status;
      if (renderPage && wantsPage(ctx)) {
        renderPage(ctx, answer);
        return;
      }
      const body: ProblemBody = { error: { code: answer.code, message: answer.message, ...(answer.field ? { field: answer.field } : {}) } };
      ctx.body = body;
      ctx.type = 'application/json';
    }
  };
}
