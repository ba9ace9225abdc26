/**
 * Who may use the Temporal UI. It shows every fax's workflow and can cancel or terminate it, so
 * it is for support only:
 * - sandbox mode: open, but only on loopback (a request must name a loopback host, which also
 *   stops DNS-rebinding pages from reaching it);
 * - otherwise: an operator token from configuration (UI_OPERATOR_TOKEN), exchanged on a small
 *   login form for an HttpOnly session cookie, and/or a session of the support pages' sign-in
 *   (its cookie, checked against the session table the web shares), which the login form links to.
 * Writes need the CSRF token in both the `_csrf` cookie and the `X-CSRF-TOKEN` header (the UI
 * copies the cookie into the header on every call) — in sandbox mode too, since any page open
 * in the same browser could otherwise post to 127.0.0.1.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type Koa from 'koa';
import { SUPPORT_COOKIE } from '../support/sign-in';

/** Support staff signed in to the support pages (a session in PostgreSQL, shared with the web). */
export interface SupportAccess {
  /** The signed-in user of a support session cookie's value, or null. */
  session(cookie: string | undefined): Promise<string | null>;
  /** The support pages' sign-in, which the login form links to. */
  signInUrl: string;
}

export type AccessMode = { kind: 'sandbox' } | { kind: 'token'; token: string; support?: SupportAccess } | { kind: 'support'; support: SupportAccess };

const SESSION_COOKIE = 'durafax_ui_session';
const CSRF_COOKIE = '_csrf';
const SESSION_MS = 12 * 3600_000;
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

function sameSecret(a: string, b: string): boolean {
  return timingSafeEqual(sha256(a), sha256(b));
}

interface Session {
  expires: number;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Where to go after signing in: always a path on this server, whatever was asked for. */
function safeReturn(value: unknown): string {
  if (typeof value !== 'string' || !value) return '/';
  let url: URL;
  try {
    url = new URL(value, 'http://ui.invalid');
  } catch {
    return '/';
  }
  const local = `${url.pathname}${url.search}${url.hash}`;
  return local.startsWith('//') || local.startsWith('/login') ? '/' : local;
}

function loginPage(csrf: string, returnUrl: string, error: string, mode: Exclude<AccessMode, { kind: 'sandbox' }>): string {
  const support = mode.support ? `<p>Support staff: <a href="${escapeHtml(mode.support.signInUrl)}">sign in to the support pages</a>, then open the Temporal UI again.</p>` : '';
  if (mode.kind === 'support') {
    return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Temporal UI · Durafax support</title>
<style>body{font-family:system-ui,sans-serif;background:#f4f4f5;color:#18181b;display:flex;min-height:100vh;align-items:center;justify-content:center;margin:0}main{background:#fff;padding:2rem;border-radius:.5rem;box-shadow:0 1px 4px #0002;width:min(22rem,90vw)}h1{font-size:1.25rem;margin:0 0 .5rem}</style>
</head><body><main><h1>Temporal UI</h1>${support}</main></body></html>`;
  }
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Temporal UI · Durafax support</title>
<style>
body{font-family:system-ui,sans-serif;background:#f4f4f5;color:#18181b;display:flex;min-height:100vh;align-items:center;justify-content:center;margin:0}
form{background:#fff;padding:2rem;border-radius:.5rem;box-shadow:0 1px 4px #0002;width:min(22rem,90vw)}
h1{font-size:1.25rem;margin:0 0 .5rem}p{margin:.25rem 0 1rem;font-size:.9rem;color:#52525b}
label{display:block;font-size:.9rem;margin-bottom:.25rem}input[type=password]{width:100%;box-sizing:border-box;padding:.5rem;border:1px solid #a1a1aa;border-radius:.25rem}
button{margin-top:1rem;width:100%;padding:.6rem;border:0;border-radius:.25rem;background:#312e81;color:#fff;font-size:1rem;cursor:pointer}
.error{color:#b91c1c}
</style></head><body>
<form method="post" action="/login">
<h1>Temporal UI</h1><p>Durafax support: sign in with the operator token.</p>${support}
${error ? `<p class="error" role="alert">${escapeHtml(error)}</p>` : ''}
<label for="token">Operator token</label>
<input id="token" name="token" type="password" autocomplete="current-password" required autofocus>
<input type="hidden" name="_csrf" value="${escapeHtml(csrf)}">
<input type="hidden" name="returnUrl" value="${escapeHtml(returnUrl)}">
<button type="submit">Sign in</button>
</form></body></html>`;
}

/**
 * The host the browser asked for, from its own Host header: a trusted proxy's X-Forwarded-Host
 * (which `ctx.hostname` prefers) could otherwise name loopback for a request from anywhere.
 */
function hostOf(ctx: Koa.Context): string {
  try {
    return new URL(`http://${ctx.get('Host')}`).hostname;
  } catch {
    return '';
  }
}

async function readForm(ctx: Koa.Context, limit: number): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) ctx.throw(413, 'form too large');
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

export class Access {
  private readonly sessions = new Map<string, Session>();
  /** Failed logins slow down: a token cannot be guessed at speed. */
  private failures = 0;

  constructor(private readonly mode: AccessMode) {
    // Configuration checks this too; a short or empty token must never open the UI.
    if (mode.kind === 'token' && mode.token.length < 32) throw new Error('the operator token must be at least 32 characters');
  }

  /** Gates every request; serves /login and /logout itself. */
  middleware(): Koa.Middleware {
    return async (ctx, next) => {
      ctx.set('X-Content-Type-Options', 'nosniff');
      ctx.set('Referrer-Policy', 'no-referrer');
      ctx.set('X-Frame-Options', 'DENY');
      if (this.mode.kind === 'sandbox' && !LOOPBACK.has(hostOf(ctx))) {
        ctx.throw(403, 'in sandbox mode the Temporal UI answers only on loopback (127.0.0.1, localhost)');
      }
      const csrf = this.ensureCsrfCookie(ctx);
      if (ctx.path === '/login') return this.login(ctx, csrf);
      if (ctx.path === '/logout' && ctx.method === 'POST') return this.logout(ctx);
      if (!(await this.signedIn(ctx))) return this.refuse(ctx);
      if (!['GET', 'HEAD', 'OPTIONS'].includes(ctx.method)) {
        const header = ctx.get('X-CSRF-TOKEN');
        if (!header || !sameSecret(header, csrf)) ctx.throw(403, 'missing or wrong CSRF token (X-CSRF-TOKEN must repeat the _csrf cookie)');
      }
      await next();
    };
  }

  private ensureCsrfCookie(ctx: Koa.Context): string {
    const existing = ctx.cookies.get(CSRF_COOKIE);
    if (existing && /^[A-Za-z0-9_-]{32,}$/.test(existing)) return existing;
    const token = randomBytes(24).toString('base64url');
    // Readable by the page on purpose: the UI copies it into the X-CSRF-TOKEN header.
    ctx.cookies.set(CSRF_COOKIE, token, { httpOnly: false, sameSite: 'strict', secure: ctx.secure, path: '/' });
    return token;
  }

  private async signedIn(ctx: Koa.Context): Promise<boolean> {
    if (this.mode.kind === 'sandbox') return true;
    if (this.mode.support && (await this.mode.support.session(ctx.cookies.get(SUPPORT_COOKIE)))) return true;
    const id = ctx.cookies.get(SESSION_COOKIE);
    const session = id ? this.sessions.get(id) : undefined;
    if (!id || !session) return false;
    if (session.expires < Date.now()) {
      this.sessions.delete(id);
      return false;
    }
    return true;
  }

  private refuse(ctx: Koa.Context): void {
    if (ctx.path.startsWith('/api/')) {
      ctx.status = 401;
      ctx.body = { code: 16, message: 'sign in to the Temporal UI first', details: [] };
      return;
    }
    ctx.redirect(`/login?returnUrl=${encodeURIComponent(ctx.originalUrl)}`);
  }

  private async login(ctx: Koa.Context, csrf: string): Promise<void> {
    if (this.mode.kind === 'sandbox') return ctx.redirect('/');
    ctx.set('Cache-Control', 'no-store');
    if (ctx.method === 'GET') {
      ctx.type = 'html';
      ctx.body = loginPage(csrf, safeReturn(ctx.query.returnUrl), '', this.mode);
      return;
    }
    if (ctx.method !== 'POST' || this.mode.kind !== 'token') ctx.throw(405);
    const form = await readForm(ctx, 8 * 1024);
    const returnUrl = safeReturn(form.get('returnUrl'));
    const sent = form.get('_csrf') ?? '';
    if (!sent || !sameSecret(sent, csrf)) {
      ctx.status = 403;
      ctx.type = 'html';
      ctx.body = loginPage(csrf, returnUrl, 'The form expired: please try again.', this.mode);
      return;
    }
    if (!sameSecret(form.get('token') ?? '', this.mode.token)) {
      this.failures++;
      await new Promise((r) => setTimeout(r, Math.min(5_000, 250 * this.failures)));
      ctx.status = 401;
      ctx.type = 'html';
      ctx.body = loginPage(csrf, returnUrl, 'Wrong operator token.', this.mode);
      return;
    }
    this.failures = 0;
    const id = randomBytes(32).toString('base64url');
    this.sessions.set(id, { expires: Date.now() + SESSION_MS });
    ctx.cookies.set(SESSION_COOKIE, id, { httpOnly: true, sameSite: 'strict', secure: ctx.secure, path: '/', maxAge: SESSION_MS });
    ctx.redirect(returnUrl);
  }

  private logout(ctx: Koa.Context): void {
    const id = ctx.cookies.get(SESSION_COOKIE);
    if (id) this.sessions.delete(id);
    ctx.cookies.set(SESSION_COOKIE, '', { httpOnly: true, sameSite: 'strict', path: '/', maxAge: 0 });
    ctx.redirect('/login');
  }
}
