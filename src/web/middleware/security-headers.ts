import type Koa from 'koa';

export interface SecurityOptions {
  /** Origins a form may lead to besides our own (Stripe Checkout, after "Pay and send"). */
  formTargets: string[];
  /** HTTPS only from the first visit on: outside sandbox mode. */
  hsts: boolean;
}

/**
 * Headers on every answer, errors included. The Content-Security-Policy allows nothing inline and nothing
 * from elsewhere: one stylesheet and one script, both ours. Chromium applies `form-action`
 * to the redirect after a form too, hence the checkout's origin.
 */
export function securityHeaders(opts: SecurityOptions): Koa.Middleware {
  const csp = [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data: blob:",
    "connect-src 'self'",
    "font-src 'self'",
    `form-action 'self' ${opts.formTargets.join(' ')}`.trim(),
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "object-src 'none'",
  ].join('; ');
  return async (ctx, next) => {
    ctx.set('X-Content-Type-Options', 'nosniff');
    ctx.set('Referrer-Policy', 'no-referrer');
    ctx.set('X-Frame-Options', 'DENY');
    ctx.set('Content-Security-Policy', csp);
    ctx.set('Cross-Origin-Opener-Policy', 'same-origin');
    if (opts.hsts) ctx.set('Strict-Transport-Security', 'max-age=31536000; includeSubDomains');
    // Answers carry access tokens, CSRF tokens, numbers, emails or documents: nothing is
    // stored by a browser or a proxy unless its route says otherwise (the assets do).
    ctx.set('Cache-Control', 'no-store');
    await next();
  };
}
