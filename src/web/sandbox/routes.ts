import Router from '@koa/router';
import type Koa from 'koa';
import { LOCALES, type Locale } from '../../domain/status';
import { t } from '../../i18n';
import { Mailbox, type MailSummary } from '../../twins/mail/mailbox';
import { HttpProblem } from '../errors';
import { localeOf } from '../middleware/locale';

/** What these routes need of the page renderer (`PageRenderer` in src/web/pages/render.ts). */
export interface PageRendering {
  render(ctx: Koa.Context, view: string, data: { title: string; section?: string } & Record<string, unknown>, status?: number): void;
}

export interface SandboxMailDeps {
  /** Outside sandbox mode every route here answers 404. */
  sandbox: boolean;
  /** The sandbox mail server's folder (SANDBOX_MAIL_DIR); null: there is no mailbox to show. */
  mailDir: string | null;
  pages: PageRendering;
}

const RECEIVED: Record<Locale, Intl.DateTimeFormat> = {
  en: new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeStyle: 'medium', timeZone: 'UTC' }),
  de: new Intl.DateTimeFormat('de-DE', { dateStyle: 'medium', timeStyle: 'medium', timeZone: 'UTC' }),
  fr: new Intl.DateTimeFormat('fr-FR', { dateStyle: 'medium', timeStyle: 'medium', timeZone: 'UTC' }),
};

/**
 * `/sandbox/mail`: what the sandbox's local SMTP server received, newest first, and each
 * message's text with its attachments to download, so the whole email path can be seen and
 * tested without a real mailbox. Sandbox mode only.
 */
export function createSandboxMailRoutes(deps: SandboxMailDeps): Router {
  const router = new Router();
  const mailbox = deps.sandbox && deps.mailDir ? new Mailbox(deps.mailDir) : null;
  const withMailbox =
    (handler: (ctx: Koa.Context, mailbox: Mailbox) => Promise<void> | void): Koa.Middleware =>
    async (ctx) => {
      if (!mailbox) throw new HttpProblem(404, 'not_found');
      ctx.set('Cache-Control', 'no-store');
      await handler(ctx, mailbox);
    };
  router.get(
    '/sandbox/mail',
    withMailbox((ctx) => ctx.redirect(`/${localeOf(ctx)}/sandbox/mail`)),
  );
  for (const l of LOCALES) {
    router.get(
      `/${l}/sandbox/mail`,
      withMailbox((ctx, m) => listPage(ctx, m, deps.pages)),
    );
    router.get(
      `/${l}/sandbox/mail/:id`,
      withMailbox((ctx, m) => messagePage(ctx, m, deps.pages)),
    );
    router.get(`/${l}/sandbox/mail/:id/attachments/:n`, withMailbox(attachmentDownload));
  }
  return router;
}

function shown(m: MailSummary, locale: Locale) {
  return {
    ...m,
    iso: m.receivedAt.toISOString(),
    received: `${RECEIVED[locale].format(m.receivedAt)} UTC`,
    href: `/${locale}/sandbox/mail/${m.id}`,
    attachments: m.attachments.map((a, i) => ({ ...a, href: `/${locale}/sandbox/mail/${m.id}/attachments/${i}`, size: `${Math.ceil(a.size / 1024)} KB` })),
  };
}

async function listPage(ctx: Koa.Context, mailbox: Mailbox, pages: PageRendering): Promise<void> {
  const locale = localeOf(ctx);
  const messages = (await mailbox.list()).map((m) => shown(m, locale));
  pages.render(ctx, 'sandbox-mail', { title: t(locale, 'sandbox.mail.title'), section: 'sandbox-mail', messages });
}

async function messagePage(ctx: Koa.Context, mailbox: Mailbox, pages: PageRendering): Promise<void> {
  const locale = localeOf(ctx);
  const message = await mailbox.read((ctx.params as { id: string }).id);
  if (!message) throw new HttpProblem(404, 'not_found');
  pages.render(ctx, 'sandbox-mail-message', {
    title: message.subject || t(locale, 'sandbox.mail.no_subject'),
    section: 'sandbox-mail',
    back: `/${locale}/sandbox/mail`,
    message: { ...shown(message, locale), text: linked(message.text) },
  });
}

async function attachmentDownload(ctx: Koa.Context, mailbox: Mailbox): Promise<void> {
  const { id, n } = ctx.params as { id: string; n: string };
  const file = /^\d{1,3}$/.test(n) ? await mailbox.attachment(id, Number(n)) : null;
  if (!file) throw new HttpProblem(404, 'not_found');
  // Always a download, never shown in the page's origin: the mail server accepts anything from this machine.
  ctx.attachment(file.filename);
  ctx.type = file.contentType;
  ctx.set('X-Content-Type-Options', 'nosniff');
  ctx.body = file.content;
}

/** The text with its web addresses marked, so the view can make them links (the status link, for one). */
function linked(text: string): Array<{ text: string; href?: string }> {
  const parts: Array<{ text: string; href?: string }> = [];
  let at = 0;
  for (const match of text.matchAll(/https?:\/\/[^\s<>"]+/g)) {
    if (match.index > at) parts.push({ text: text.slice(at, match.index) });
    parts.push({ text: match[0], href: match[0] });
    at = match.index + match[0].length;
  }
  if (at < text.length) parts.push({ text: text.slice(at) });
  return parts;
}
