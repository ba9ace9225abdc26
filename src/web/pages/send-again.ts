import type Koa from 'koa';
import { t } from '../../i18n';
import type { CreateFaxDeps } from '../create-fax';
import { HttpProblem } from '../errors';
import { localeOf } from '../middleware/locale';
import type { RateLimits } from '../middleware/rate-limit';
import { currentFax, setFaxCookie } from '../middleware/require-fax';
import { statusPagePath } from '../page-paths';
import { sendAgain } from '../send-again';
import type { FaxPageDeps } from './fax-pages';
import { faxPageModel } from './fax-model';

export interface SendAgainPageDeps {
  page: FaxPageDeps;
  create: CreateFaxDeps;
  rateLimits: RateLimits;
}

/**
 * POST /{lang}/faxes/:id/send-again: the failed fax's document to a corrected number, as a new
 * fax. The sender gets the new fax's cookie and goes to its page, to check the new quote and
 * pay. A number that will not do is said on the failed fax's page.
 */
export function sendFaxAgain(deps: SendAgainPageDeps): Koa.Middleware {
  return async (ctx) => {
    const fax = currentFax(ctx);
    const body = (ctx.request as Koa.Request & { body?: Record<string, string | undefined> }).body ?? {};
    let again;
    try {
      again = await sendAgain({ ...deps.create, rateLimits: deps.rateLimits }, fax, body.to ?? '');
    } catch (err) {
      if (!(err instanceof HttpProblem) || err.field !== 'to') throw err;
      const locale = localeOf(ctx);
      const { page } = deps;
      const model = faxPageModel(fax, await page.faxes.attempts(fax.id), { prices: page.prices, maxTransmissions: page.maxTransmissions, limits: page.limits, locale, base: '' });
      const flash = { tone: 'error', message: t(locale, 'page.fax.send_again.problem', { problem: err.translated(locale) }) };
      page.renderer.render(ctx, 'fax', { title: model.heading, fax: model, flash, refresh: 0 }, err.status);
      return;
    }
    setFaxCookie(ctx, again.id, again.token, deps.page.secureCookies);
    ctx.status = 303;
    ctx.redirect(statusPagePath({ id: again.id, locale: localeOf(ctx) }));
  };
}
