import path from 'node:path';
import { Eta } from 'eta';
import type { Limits, Operator } from '../config/config';
import type { EmailKind } from '../db/entities/email-outbox';
import type { Fax } from '../db/entities/fax';
import { formatForDisplay } from '../domain/phone';
import { formatMoney } from '../domain/pricing';
import type { Locale } from '../domain/status';
import { t, type Params } from '../i18n';
import { reasonText } from '../i18n/reason-text';

/** Views live at the project root; this file sits two folders below it in src/ and dist/. */
const EMAIL_VIEWS = path.resolve(__dirname, '../../views/email');
const eta = new Eta({ views: EMAIL_VIEWS, cache: true, autoEscape: true, autoTrim: false });

const DATE_TIME: Record<Locale, Intl.DateTimeFormat> = {
  en: new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' }),
  de: new Intl.DateTimeFormat('de-DE', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' }),
  fr: new Intl.DateTimeFormat('fr-FR', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' }),
};

export interface EmailInput {
  kind: EmailKind;
  fax: Fax;
  /** The private link to the fax's status page; null when the token cannot be unsealed. */
  statusUrl: string | null;
  /** The transmission report, attached to a delivered fax's receipt. */
  report: Buffer | null;
  operator: Operator;
  limits: Limits;
}

export interface ComposedEmail {
  subject: string;
  text: string;
  html: string;
  attachments: Array<{ filename: string; content: Buffer; contentType: string }>;
}

/** What a message says, before it is written out as text and as HTML. */
interface EmailContent {
  locale: Locale;
  subject: string;
  greeting: string;
  paragraphs: string[];
  link: { intro: string; label: string; url: string; note: string } | null;
  facts: Array<[string, string]>;
  footer: string[];
}

/** An email to a fax's sender, in the fax's language: subject, text and HTML parts, the report when there is one. */
export function composeEmail(input: EmailInput): ComposedEmail {
  const content = emailContent(input);
  return {
    subject: content.subject,
    text: textPart(content),
    html: eta.render('./message', content),
    attachments: input.report ? [{ filename: `durafax-report-${input.fax.id.slice(0, 8)}.pdf`, content: input.report, contentType: 'application/pdf' }] : [],
  };
}

function emailContent({ kind, fax, statusUrl, report, operator, limits }: EmailInput): EmailContent {
  const locale = fax.locale;
  const tr = (key: string, params?: Params): string => t(locale, key, params);
  const number = formatForDisplay(fax.toNumber);
  const money = (amount: number): string => formatMoney(amount, fax.currency ?? 'eur', locale);

  let subject: string;
  const paragraphs: string[] = [];
  if (kind === 'payment_confirmed') {
    subject = tr('email.payment_confirmed.subject', { number });
    paragraphs.push(tr('email.payment_confirmed.lead', { number }), tr('email.payment_confirmed.hold', { amount: money(fax.priceAmount ?? 0) }));
  } else {
    subject = tr('email.receipt.subject', { status: tr(`status.${fax.status}`), number });
    const date = fax.deliveredAt ?? fax.completedAt ?? new Date();
    paragraphs.push(tr(`email.receipt.lead.${fax.status}`, { number, date: DATE_TIME[locale].format(date) }));
    if (fax.status !== 'delivered' && fax.failureReason) paragraphs.push(tr('email.receipt.reason', { reason: reasonText(locale, fax.failureReason, fax, limits) }));
    paragraphs.push(moneyWords(fax, tr, money));
    if (report) paragraphs.push(tr('email.receipt.report'));
  }

  const facts: Array<[string, string]> = [[tr('email.fact.destination'), number]];
  if (fax.pages) facts.push([tr('email.fact.pages'), String(fax.pages)]);
  facts.push([tr('email.fact.fax_id'), fax.id]);

  return {
    locale,
    subject,
    greeting: tr('email.greeting'),
    paragraphs,
    link: statusUrl ? { intro: tr('email.link.intro'), label: tr('email.link'), url: statusUrl, note: tr('email.link.private') } : null,
    facts,
    footer: [tr('email.footer.why'), tr('email.footer.operator', { name: operator.name, email: operator.email })],
  };
}

/** Where the money stands once the fax ended. */
function moneyWords(fax: Fax, tr: (key: string, params?: Params) => string, money: (amount: number) => string): string {
  switch (fax.paymentState) {
    case 'captured':
      return tr('email.money.charged', { amount: money(fax.amountCaptured - fax.amountRefunded) });
    case 'refunded':
      return tr('email.money.refunded', { amount: money(fax.amountRefunded || fax.amountCaptured) });
    case 'released':
      return tr('email.money.released');
    case 'authorized':
      return tr('email.payment_confirmed.hold', { amount: money(fax.priceAmount ?? 0) });
    case 'none':
      return tr('email.money.none');
  }
}

/** The plain-text part: the same content, read top to bottom. */
function textPart(c: EmailContent): string {
  const blocks = [c.greeting, ...c.paragraphs];
  if (c.link) blocks.push(`${c.link.intro}\n${c.link.url}\n${c.link.note}`);
  blocks.push(c.facts.map(([label, value]) => t(c.locale, 'email.fact.line', { label, value })).join('\n'));
  blocks.push(`-- \n${c.footer.join('\n')}`);
  return `${blocks.join('\n\n')}\n`;
}
