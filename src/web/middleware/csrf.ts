import Tokens from 'csrf';
import type Koa from 'koa';
import { HttpProblem } from '../errors';

const tokens = new Tokens();

/** The cookie holding this browser's CSRF secret; forms carry tokens made from it. */
const CSRF_COOKIE = 'csrf';
/** The form field and the header a token may come in (the page script sends the header). */
export const CSRF_FIELD = '_csrf';
export const CSRF_HEADER = 'X-CSRF-Token';

/** This browser's secret, made (and set as an HttpOnly cookie) on first use. */
function secretOf(ctx: Koa.Context, secure: boolean): string {
  const existing = ctx.cookies.get(CSRF_COOKIE);
  if (existing && /^[A-Za-z0-9_-]{16,64}$/.test(existing)) return existing;
  const secret = tokens.secretSync();
  ctx.cookies.set(CSRF_COOKIE, secret, { httpOnly: true, sameSite: 'lax', secure, path: '/', overwrite: true });
  return secret;
}

/** A fresh token for the forms of the page being rendered. */
export function csrfToken(ctx: Koa.Context, secure: boolean): string {
  return tokens.create(secretOf(ctx, secure));
}

/** Refuses a form whose token does not belong to this browser's secret (403, translated). */
export function verifyCsrf(ctx: Koa.Context, token: unknown): void {
  const secret = ctx.cookies.get(CSRF_COOKIE);
  if (!secret || typeof token !== 'string' || !tokens.verify(secret, token)) {
    throw new HttpProblem(403, 'invalid_request', {}, { messageKey: 'page.error.csrf' });
  }
}

/** Policy in front of a page's form handler: the token from the header, or from the parsed form body. */
export function requireCsrf(): Koa.Middleware {
  return async (ctx, next) => {
    const body = (ctx.request as Koa.Request & { body?: Record<string, unknown> }).body;
    verifyCsrf(ctx, ctx.get(CSRF_HEADER) || body?.[CSRF_FIELD]);
    await next();
  };
}
