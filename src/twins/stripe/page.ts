import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import path from 'node:path';
import Router from '@koa/router';
import { Eta } from 'eta';
import type Koa from 'koa';
import { parseCard, TEST_CARDS } from './cards';
import { expireSessionIfDue } from './checkout';
import { NO_REQUEST, type TwinContext } from './context';
import { BodyTooLargeError, readRawBody } from '../../web/raw-body';
import type { SessionRecord } from './model';
import { finishAuthentication, payWithCard, successRedirect, type PayOutcome } from './pay';
import { pageLanguage, problemText, text, type PageLanguage, type TextKey } from './texts';

/** Views live at the project root; this file sits three folders below it in src/ and dist/. */
const VIEWS = path.resolve(__dirname, '../../../views/twins/stripe');
const CSRF_COOKIE = 'twin_csrf';

function formatAmount(minor: number, currency: string, lang: PageLanguage): string {
  const fmt = new Intl.NumberFormat(lang, { style: 'currency', currency: currency.toUpperCase() });
  const digits = fmt.resolvedOptions().maximumFractionDigits ?? 2;
  return fmt.format(minor / 10 ** digits);
}

function csrfToken(secret: string, sessionId: string, nonce: string): string {
  return createHmac('sha256', secret).update(`checkout:${sessionId}:${nonce}`).digest('base64url');
}

/**
 * The hosted test checkout page the session's `url` points at: card form, decline messages,
 * an authentication step, and the redirect to the success URL — in the session's language,
 * plainly marked as a sandbox. Forms carry a CSRF token bound to a cookie.
 */
export function pageRouter(ctx: TwinContext, opts: { merchantName: string }): Router {
  const eta = new Eta({ views: VIEWS, cache: true });
  const router = new Router();

  const nonceFor = (koa: Koa.Context): string => {
    let nonce = koa.cookies.get(CSRF_COOKIE);
    if (!nonce || !/^[A-Za-z0-9_-]{20,64}$/.test(nonce)) {
      nonce = randomBytes(24).toString('base64url');
      koa.cookies.set(CSRF_COOKIE, nonce, { httpOnly: true, sameSite: 'lax', path: '/c/', overwrite: true });
    }
    return nonce;
  };

  const csrfValid = (koa: Koa.Context, sessionId: string, given: string | undefined): boolean => {
    const nonce = koa.cookies.get(CSRF_COOKIE);
    if (!nonce || !given) return false;
    const expected = Buffer.from(csrfToken(ctx.state.secret, sessionId, nonce));
    const actual = Buffer.from(given);
    return expected.length === actual.length && timingSafeEqual(expected, actual);
  };

  const render = (koa: Koa.Context, status: number, view: string, lang: PageLanguage, data: Record<string, unknown>): void => {
    koa.status = status;
    koa.type = 'text/html; charset=utf-8';
    koa.set('Cache-Control', 'no-store');
    koa.set('X-Frame-Options', 'DENY');
    koa.set('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'; form-action *; frame-ancestors 'none'");
    koa.body = eta.render(`./${view}`, {
      lang,
      sandboxText: text(lang, 'sandbox'),
      pageTitle: `${text(lang, 'title')} – ${opts.merchantName}`,
      merchant: opts.merchantName,
      ...data,
    });
  };

  const session = (koa: Koa.Context): SessionRecord | null => {
    const rec = ctx.state.sessions.get(String((koa.params as Record<string, string>).id));
    if (!rec) return null;
    expireSessionIfDue(ctx, rec, NO_REQUEST);
    return rec;
  };

  const langOf = (koa: Koa.Context, rec: SessionRecord): PageLanguage => pageLanguage(rec.json.locale, koa.get('Accept-Language'));

  const renderClosed = (koa: Koa.Context, rec: SessionRecord, status: number): void => {
    const lang = langOf(koa, rec);
    const complete = rec.json.status === 'complete';
    render(koa, status, 'message', lang, {
      state: rec.json.status,
      message: text(lang, complete ? 'closed_complete' : 'closed_expired'),
      link: complete ? successRedirect(rec) : rec.json.cancel_url,
      linkText: text(lang, complete ? 'continue' : 'back'),
    });
  };

  const renderForm = (koa: Koa.Context, rec: SessionRecord, status: number, errorCode: string | null): void => {
    const lang = langOf(koa, rec);
    const amount = formatAmount(rec.json.amount_total, rec.json.currency, lang);
    const time = new Intl.DateTimeFormat(lang, { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(rec.json.expires_at * 1000));
    const t = Object.fromEntries((['total', 'card_number', 'expiry', 'cvc', 'back', 'test_cards', 'any_expiry'] as TextKey[]).map((k) => [k, text(lang, k)]));
    render(koa, status, 'pay', lang, {
      t: { ...t, pay: text(lang, 'pay', { amount }), expires: text(lang, 'expires', { time }) },
      amount,
      amountMinor: rec.json.amount_total,
      items: rec.lineItems.map((i) => ({ name: i.name, description: i.description, price: formatAmount(i.unit_amount * i.quantity, i.currency, lang) })),
      error: errorCode ? problemText(lang, errorCode) : null,
      errorCode,
      action: `/c/pay/${rec.json.id}`,
      csrf: csrfToken(ctx.state.secret, rec.json.id, nonceFor(koa)),
      cancelUrl: rec.json.cancel_url,
      testCards: TEST_CARDS.map((c) => ({ number: c.number.replace(/(\d{4})(?=\d)/g, '$1 '), label: text(lang, `card_${c.behaviour}` as TextKey) })),
    });
  };

  const renderAuthenticate = (koa: Koa.Context, rec: SessionRecord): void => {
    const lang = langOf(koa, rec);
    const amount = formatAmount(rec.json.amount_total, rec.json.currency, lang);
    render(koa, 200, 'authenticate', lang, {
      t: {
        authenticate_title: text(lang, 'authenticate_title'),
        authenticate_text: text(lang, 'authenticate_text', { amount }),
        complete_auth: text(lang, 'complete_auth'),
        fail_auth: text(lang, 'fail_auth'),
      },
      action: `/c/pay/${rec.json.id}/authenticate`,
      csrf: csrfToken(ctx.state.secret, rec.json.id, nonceFor(koa)),
    });
  };

  const answer = (koa: Koa.Context, rec: SessionRecord, outcome: PayOutcome): void => {
    switch (outcome.kind) {
      case 'paid':
        koa.status = 303;
        koa.redirect(outcome.redirect);
        return;
      case 'requires_action':
        koa.status = 303;
        koa.redirect(`/c/pay/${rec.json.id}/authenticate`);
        return;
      case 'declined':
        renderForm(koa, rec, 402, outcome.error.decline_code ?? outcome.error.code);
        return;
      case 'closed':
        renderClosed(koa, rec, 410);
    }
  };

  /** Reads the posted form after checking its CSRF token; null when the page answered. */
  const postedForm = async (koa: Koa.Context, rec: SessionRecord): Promise<Record<string, string> | null> => {
    const body = await readRawBody(koa.req, 16 * 1024).catch((err: unknown) => {
      // An oversized form is no valid form: it fails the CSRF check below like an empty one.
      if (err instanceof BodyTooLargeError) return null;
      throw err;
    });
    const fields: Record<string, string> = {};
    if (body) for (const [k, v] of new URLSearchParams(body.toString('utf8'))) fields[k] = v;
    if (!csrfValid(koa, rec.json.id, fields.csrf)) {
      const lang = langOf(koa, rec);
      render(koa, 403, 'message', lang, { state: 'csrf', message: text(lang, 'csrf'), link: `/c/pay/${rec.json.id}`, linkText: text(lang, 'back') });
      return null;
    }
    return fields;
  };

  router.get('/c/pay/:id', async (koa) => {
    const rec = session(koa);
    if (!rec) return;
    await ctx.commit();
    if (rec.json.status !== 'open') return renderClosed(koa, rec, 200);
    const pi = rec.json.payment_intent ? ctx.state.intents.get(rec.json.payment_intent) : undefined;
    renderForm(koa, rec, 200, pi?.last_payment_error ? (pi.last_payment_error.decline_code ?? pi.last_payment_error.code) : null);
  });

  router.post('/c/pay/:id', async (koa) => {
    const rec = session(koa);
    if (!rec) return;
    const fields = await postedForm(koa, rec);
    if (!fields) return;
    if (rec.json.status !== 'open') {
      await ctx.commit();
      return renderClosed(koa, rec, 410);
    }
    const parsed = parseCard({ number: fields.card_number, expiry: fields.card_expiry, cvc: fields.card_cvc }, new Date(ctx.store.now()));
    if ('problem' in parsed) return renderForm(koa, rec, 400, parsed.problem);
    const outcome = payWithCard(ctx, rec.json.id, parsed.card);
    await ctx.commit();
    answer(koa, rec, outcome);
  });

  router.get('/c/pay/:id/authenticate', async (koa) => {
    const rec = session(koa);
    if (!rec) return;
    await ctx.commit();
    if (rec.json.status !== 'open') return renderClosed(koa, rec, 200);
    if (!rec.pendingCard) {
      koa.status = 303;
      return koa.redirect(`/c/pay/${rec.json.id}`);
    }
    renderAuthenticate(koa, rec);
  });

  router.post('/c/pay/:id/authenticate', async (koa) => {
    const rec = session(koa);
    if (!rec) return;
    const fields = await postedForm(koa, rec);
    if (!fields) return;
    const outcome = finishAuthentication(ctx, rec.json.id, fields.action === 'complete');
    await ctx.commit();
    answer(koa, rec, outcome);
  });

  return router;
}
