import type Koa from 'koa';
import type { Limits } from '../../config/config';
import type { Faxes } from '../../db/faxes';
import type { SupportActions } from '../../db/support-actions';
import type { PriceTable } from '../../domain/pricing';
import { isUuid } from '../../domain/ids';
import { t } from '../../i18n';
import { tokenMatches } from '../access-token';
import { cancelBySender } from '../cancel-fax';
import { HttpProblem } from '../errors';
import type { FaxWorkflows } from '../fax-workflows';
import { localeOf } from '../middleware/locale';
import { currentFax, setFaxCookie } from '../middleware/require-fax';
import { statusPagePath } from '../page-paths';
import { faxPageModel } from './fax-model';
import type { PageRenderer } from './render';

export interface FaxPageDeps {
  renderer: PageRenderer;
  faxes: Faxes;
  workflows: FaxWorkflows;
  prices: PriceTable;
  maxTransmissions: number;
  limits: Limits;
  secureCookies: boolean;
  /** Support's resends of a fax to a corrected number (the audit log), for the timeline. */
  supportActions: SupportActions;
}

type Flash = { tone: 'success' | 'info' | 'error'; message: string };

/** Notes a page shows once, after a redirect (`?note=`): nothing personal, just which one. */
const NOTES: Record<string, Flash['tone']> = { cancel_accepted: 'success', cancel_pending: 'info', not_payable: 'info' };

async function model(ctx: Koa.Context, deps: FaxPageDeps) {
  const fax = currentFax(ctx);
  const [attempts, actions] = await Promise.all([deps.faxes.attempts(fax.id), deps.supportActions.forFax(fax.id)]);
  const resends = actions
    .filter((a) => a.kind === 'resend' && a.toNumber && ['resending', 'accepted'].includes(a.outcome))
    .map((a) => ({ at: a.createdAt, toNumber: a.toNumber! }));
  return faxPageModel(fax, attempts, {
    resends,
    prices: deps.prices,
    maxTransmissions: deps.maxTransmissions,
    limits: deps.limits,
    locale: localeOf(ctx),
    base: '',
  });
}

function flashOf(ctx: Koa.Context): Flash | undefined {
  const note = typeof ctx.query.note === 'string' ? ctx.query.note : '';
  const tone = NOTES[note];
  return tone ? { tone, message: t(localeOf(ctx), `page.fax.note.${note}`) } : undefined;
}

async function renderFax(ctx: Koa.Context, deps: FaxPageDeps, flash?: Flash, status = 200): Promise<void> {
  const fax = await model(ctx, deps);
  deps.renderer.render(ctx, 'fax', { title: fax.heading, fax, flash: flash ?? flashOf(ctx), refresh: fax.live ? 5 : 0 }, status);
}

/**
 * The private link's token (`?t=`) is exchanged at once for the fax's cookie, and the
 * browser goes on to the same page without it: the token stays out of the history, bookmarks
 * and Referer headers. A wrong token is the same 404 as an unknown fax.
 */
export function exchangeToken(deps: Pick<FaxPageDeps, 'faxes' | 'secureCookies'>): Koa.Middleware {
  return async (ctx, next) => {
    const token = ctx.query.t;
    if (typeof token !== 'string') {
      await next();
      return;
    }
    const id = (ctx.params as { id?: string }).id;
    const fax = isUuid(id) ? await deps.faxes.find(id) : null;
    if (!fax || !tokenMatches(token, fax.tokenHash)) throw new HttpProblem(404, 'not_found');
    setFaxCookie(ctx, fax.id, token, deps.secureCookies);
    ctx.set('Cache-Control', 'no-store');
    ctx.status = 303;
    ctx.redirect(statusPagePath({ id: fax.id, locale: localeOf(ctx) }));
  };
}

/** GET /{lang}/faxes/:id: the quote before payment, the live status after it. `?partial=1` is the inner part only. */
export function faxPage(deps: FaxPageDeps): Koa.Middleware {
  return async (ctx) => {
    if (ctx.query.partial === '1') {
      const fax = await model(ctx, deps);
      ctx.set('Cache-Control', 'no-store');
      ctx.type = 'text/html; charset=utf-8';
      ctx.body = deps.renderer.renderPartial(ctx, 'fax-body', { title: fax.heading, fax, flash: undefined });
      return;
    }
    await renderFax(ctx, deps);
  };
}

/**
 * POST /{lang}/faxes/:id/pay: to the checkout (Stripe's page), while the fax is payable. The
 * fax's workflow opens it now, on this click (asked the same way as the API's checkout).
 */
export function payForFax(deps: Pick<FaxPageDeps, 'workflows'>): Koa.Middleware {
  return async (ctx) => {
    const fax = currentFax(ctx);
    const offer = fax.status === 'awaiting_payment' && fax.paymentState === 'none' ? await deps.workflows.checkout(fax.id) : null;
    ctx.status = 303;
    if (offer) {
      ctx.redirect(offer.url);
      return;
    }
    ctx.redirect(`${statusPagePath({ id: fax.id, locale: localeOf(ctx) })}?note=not_payable`);
  };
}

/** POST /{lang}/faxes/:id/cancel: asked of the workflow; back to the page with what it decided. */
export function cancelFax(deps: FaxPageDeps): Koa.Middleware {
  return async (ctx) => {
    const fax = currentFax(ctx);
    let note: string;
    try {
      const result = await cancelBySender(deps.workflows, fax);
      note = result.kind === 'asked' && result.decision === 'pending' ? 'cancel_pending' : 'cancel_accepted';
    } catch (err) {
      if (!(err instanceof HttpProblem) || err.status !== 409) throw err;
      await renderFax(ctx, deps, { tone: 'error', message: err.translated(localeOf(ctx)) }, 409);
      return;
    }
    ctx.status = 303;
    ctx.redirect(`${statusPagePath({ id: fax.id, locale: localeOf(ctx) })}?note=${note}`);
  };
}
