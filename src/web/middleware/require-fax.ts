import type Koa from 'koa';
import type { Fax } from '../../db/entities/fax';
import type { Faxes } from '../../db/faxes';
import { isUuid } from '../../domain/ids';
import { bearerToken, tokenMatches } from '../access-token';
import { HttpProblem } from '../errors';
import { preferFaxLocale } from './locale';

/** The cookie that opens one fax's pages: its name carries the fax id, its value the token. */
function faxCookieName(faxId: string): string {
  return `fax_${faxId}`;
}

/** Sets the fax's cookie: HttpOnly, SameSite=Lax, Secure outside sandbox mode, for 90 days. */
export function setFaxCookie(ctx: Koa.Context, faxId: string, token: string, secure: boolean): void {
  ctx.cookies.set(faxCookieName(faxId), token, { httpOnly: true, sameSite: 'lax', secure, path: '/', maxAge: 90 * 86_400_000, overwrite: true });
}

export interface FaxState {
  fax: Fax;
}

/** The fax `requireFax` found for this request. */
export function currentFax(ctx: Koa.Context): Fax {
  return (ctx.state as FaxState).fax;
}

/**
 * Policy in front of every route about one fax (`:id`): the fax must exist and the request
 * must hold its token — as `Authorization: Bearer` (the API) or in the fax's cookie (pages and
 * their script). A wrong id, a wrong token and no token all answer the same 404, so nothing
 * tells whether a fax exists. Sets `ctx.state.fax`. The API takes the cookie for reading
 * only (`cookieWrites: false`): a change through the API needs the bearer token, and pages
 * change a fax only through forms that carry a CSRF token.
 */
export function requireFax(faxes: Faxes, opts: { cookieWrites: boolean } = { cookieWrites: true }): Koa.Middleware {
  return async (ctx, next) => {
    const id = (ctx.params as { id?: string }).id;
    if (!isUuid(id)) throw new HttpProblem(404, 'not_found');
    const cookieAllowed = opts.cookieWrites || ctx.method === 'GET' || ctx.method === 'HEAD';
    const token = bearerToken(ctx.get('Authorization')) ?? (cookieAllowed ? ctx.cookies.get(faxCookieName(id)) : undefined);
    const fax = token ? await faxes.find(id) : null;
    if (!fax || !tokenMatches(token, fax.tokenHash)) throw new HttpProblem(404, 'not_found');
    (ctx.state as FaxState).fax = fax;
    preferFaxLocale(ctx, fax.locale);
    await next();
  };
}
