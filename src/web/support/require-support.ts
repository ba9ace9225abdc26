import type Koa from 'koa';
import type { Fax } from '../../db/entities/fax';
import type { Faxes } from '../../db/faxes';
import { isUuid } from '../../domain/ids';
import { SESSION_MS, SUPPORT_COOKIE, type SupportSignIn } from '../../support/sign-in';
import { HttpProblem } from '../errors';
import { localeOf } from '../middleware/locale';

interface SupportState {
  supportUser?: string;
  supportFax?: Fax;
}

export interface CookieOptions {
  secure: boolean;
  /** Set when the Temporal UI runs on another host of the same site. */
  domain: string | null;
}

/** The session cookie: HttpOnly, SameSite=Strict, for the whole host so the Temporal UI (another port) reads it too. */
export function setSessionCookie(ctx: Koa.Context, token: string, opts: CookieOptions): void {
  ctx.cookies.set(SUPPORT_COOKIE, token, {
    httpOnly: true,
    sameSite: 'strict',
    secure: opts.secure,
    path: '/',
    maxAge: SESSION_MS,
    overwrite: true,
    ...(opts.domain ? { domain: opts.domain } : {}),
  });
}

export function clearSessionCookie(ctx: Koa.Context, opts: CookieOptions): void {
  ctx.cookies.set(SUPPORT_COOKIE, '', {
    httpOnly: true,
    sameSite: 'strict',
    secure: opts.secure,
    path: '/',
    maxAge: 0,
    overwrite: true,
    ...(opts.domain ? { domain: opts.domain } : {}),
  });
}

/** The signed-in support user of this request, or null. */
export function signedInUser(ctx: Koa.Context): string | null {
  return (ctx.state as SupportState).supportUser ?? null;
}

/** The fax `requireSupportFax` found. */
export function supportFax(ctx: Koa.Context): Fax {
  const fax = (ctx.state as SupportState).supportFax;
  if (!fax) throw new Error('requireSupportFax did not run');
  return fax;
}

/** The user's name, for handlers behind `requireSupport`. */
export function supportUser(ctx: Koa.Context): string {
  const user = signedInUser(ctx);
  if (!user) throw new Error('requireSupport did not run');
  return user;
}

/** Where the sign-in page sends the user afterwards: a support page of this site, nothing else. */
export function safeNext(value: unknown): string | null {
  return typeof value === 'string' && /^\/(en|de|fr)\/support([/?][A-Za-z0-9/_?=&%.+:,-]*)?$/.test(value) ? value : null;
}

/**
 * Policy in front of every support page but the sign-in: a live session of a configured
 * user. A browser without one goes to the sign-in page (and back afterwards); anything else,
 * a form post included, is refused with 401.
 */
export function requireSupport(signIn: SupportSignIn): Koa.Middleware {
  return async (ctx, next) => {
    const session = await signIn.session(ctx.cookies.get(SUPPORT_COOKIE));
    if (!session) {
      ctx.set('Cache-Control', 'no-store');
      if (ctx.method === 'GET' && ctx.accepts('html') === 'html') {
        ctx.status = 303;
        ctx.redirect(`/${localeOf(ctx)}/support/login?next=${encodeURIComponent(ctx.originalUrl)}`);
        return;
      }
      throw new HttpProblem(401, 'invalid_request', {}, { messageKey: 'support.error.signed_out' });
    }
    (ctx.state as SupportState).supportUser = session.username;
    await next();
  };
}

/** Loads the fax of `:id` for support (any fax; a wrong id is a 404). */
export function requireSupportFax(faxes: Faxes): Koa.Middleware {
  return async (ctx, next) => {
    const id = (ctx.params as { id?: string }).id;
    const fax = isUuid(id) ? await faxes.find(id) : null;
    if (!fax) throw new HttpProblem(404, 'not_found', {}, { messageKey: 'support.error.no_fax' });
    (ctx.state as SupportState).supportFax = fax;
    await next();
  };
}
