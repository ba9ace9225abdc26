import type Koa from 'koa';
import { t } from '../../i18n';
import type { SupportSignIn } from '../../support/sign-in';
import { SUPPORT_COOKIE } from '../../support/sign-in';
import { localeOf } from '../middleware/locale';
import type { RateLimits } from '../middleware/rate-limit';
import { shownTime } from '../pages/format';
import type { SupportRenderer } from './render';
import { clearSessionCookie, safeNext, setSessionCookie, type CookieOptions } from './require-support';

export interface SignInPageDeps {
  renderer: SupportRenderer;
  signIn: SupportSignIn;
  limits: RateLimits;
  cookies: CookieOptions;
  sandbox: boolean;
}

type Form = Record<string, string | undefined>;

const home = (ctx: Koa.Context): string => `/${localeOf(ctx)}/support`;

function renderSignIn(ctx: Koa.Context, deps: SignInPageDeps, opts: { name?: string; next?: string | null; error?: string; note?: string }, status = 200): void {
  const locale = localeOf(ctx);
  deps.renderer.render(
    ctx,
    'login',
    { title: t(locale, 'support.login.title'), name: opts.name ?? '', next: opts.next ?? '', error: opts.error, note: opts.note, sandbox: deps.sandbox },
    status,
  );
}

/** GET /{lang}/support/login: the sign-in form (a signed-in user goes on to the search). */
export function signInPage(deps: SignInPageDeps): Koa.Middleware {
  return async (ctx) => {
    const next = safeNext(ctx.query.next);
    if (await deps.signIn.session(ctx.cookies.get(SUPPORT_COOKIE))) {
      ctx.status = 303;
      ctx.redirect(next ?? home(ctx));
      return;
    }
    const note = ctx.query.note === 'signed_out' ? t(localeOf(ctx), 'support.login.signed_out') : undefined;
    renderSignIn(ctx, deps, { next, note });
  };
}

/**
 * POST /{lang}/support/login: name and password. Counted per client address (a guesser
 * trying many names) and per name (the lockout); a locked name is refused whatever the password.
 */
export function signInSubmit(deps: SignInPageDeps): Koa.Middleware {
  return async (ctx) => {
    await deps.limits.consume('supportSignIn', ctx.ip);
    const form = (ctx.request as Koa.Request & { body?: Form }).body ?? {};
    const name = (form.name ?? '').trim();
    const next = safeNext(form.next);
    const locale = localeOf(ctx);
    const result = await deps.signIn.signIn(name, form.password ?? '');
    if (result.ok) {
      setSessionCookie(ctx, result.token, deps.cookies);
      ctx.status = 303;
      ctx.redirect(next ?? home(ctx));
      return;
    }
    if (result.reason === 'locked') {
      const until = shownTime(result.until, locale)?.text ?? '';
      renderSignIn(ctx, deps, { name, next, error: t(locale, 'support.login.locked', { until }) }, 423);
      return;
    }
    renderSignIn(ctx, deps, { name, next, error: t(locale, 'support.login.invalid') }, 401);
  };
}

/** GET /{lang}/support/login/:token: the sandbox's printed one-time link signs in at once, once. */
export function signInByLink(deps: SignInPageDeps): Koa.Middleware {
  return async (ctx) => {
    const used = await deps.signIn.useLoginLink((ctx.params as { token: string }).token);
    if (!used) {
      renderSignIn(ctx, deps, { error: t(localeOf(ctx), 'support.login.link_used') }, 410);
      return;
    }
    setSessionCookie(ctx, used.token, deps.cookies);
    ctx.set('Cache-Control', 'no-store');
    ctx.status = 303;
    ctx.redirect(home(ctx));
  };
}

/** POST /{lang}/support/logout: the session ends for every process at once (it is a row). */
export function signOut(deps: SignInPageDeps): Koa.Middleware {
  return async (ctx) => {
    await deps.signIn.signOut(ctx.cookies.get(SUPPORT_COOKIE));
    clearSessionCookie(ctx, deps.cookies);
    ctx.status = 303;
    ctx.redirect(`/${localeOf(ctx)}/support/login?note=signed_out`);
  };
}
