import path from 'node:path';
import { Eta } from 'eta';
import type Koa from 'koa';
import { hasMessage, t } from '../../i18n';
import type { Answer } from '../errors';
import { localeOf } from '../middleware/locale';
import type { PageRenderer } from '../pages/render';
import { signedInUser } from './require-support';

/** Support's views live beside the sender's, in their own folder with their own layout. */
export const SUPPORT_VIEWS = path.resolve(__dirname, '../../../views/support');

/** Support's pages are under each language's prefix: `/en/support/…`. */
export function isSupportPath(p: string): boolean {
  return /^\/(en|de|fr)\/support(\/|$)/.test(p);
}

/**
 * Renders support's pages: the sender's page frame (language, CSRF token, language switch,
 * the one stylesheet and script) in support's own layout, which names the signed-in user.
 */
export class SupportRenderer {
  private readonly eta = new Eta({ views: SUPPORT_VIEWS, cache: true, autoEscape: true, autoTrim: false });

  constructor(private readonly pages: PageRenderer) {}

  render(ctx: Koa.Context, view: string, data: { title: string; section?: string } & Record<string, unknown>, status = 200): void {
    const frame = this.pages.frame(ctx, data.title, data.section);
    ctx.status = status;
    ctx.type = 'text/html; charset=utf-8';
    ctx.set('Cache-Control', 'no-store');
    // Support's pages are for staff only: not for search engines, not in anyone's cache.
    ctx.set('X-Robots-Tag', 'noindex, nofollow');
    ctx.body = this.eta.render(`./${view}`, { ...frame, user: signedInUser(ctx), ...data });
  }

  renderError(ctx: Koa.Context, answer: Answer): void {
    const key = hasMessage(`page.error.title.${answer.status}`) ? `page.error.title.${answer.status}` : 'page.error.title.other';
    this.render(ctx, 'error', { title: t(localeOf(ctx), key), answer }, answer.status);
  }
}
