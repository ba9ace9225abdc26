import type Koa from 'koa';
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import type { Fax } from '../../db/entities/fax';
import type { Faxes, FaxSearch } from '../../db/faxes';
import { isUuid } from '../../domain/ids';
import { formatForDisplay } from '../../domain/phone';
import { formatMoney } from '../../domain/pricing';
import { FAX_STATUSES, type FaxStatus, type Locale } from '../../domain/status';
import { t } from '../../i18n';
import { localeOf } from '../middleware/locale';
import { shownTime, type ShownTime } from '../pages/format';
import type { SupportRenderer } from './render';

export const PAGE_SIZE = 20;

/** What the search form holds, as typed. */
export interface SearchForm {
  q: string;
  status: string;
  from: string;
  to: string;
}

/** What the one search box was read as, so the page can say so. */
export type SearchKind = 'all' | 'id' | 'reference' | 'reference_or_number' | 'number' | 'email' | 'payment';

export interface SearchResultRow {
  id: string;
  reference: string;
  created: ShownTime | undefined;
  status: FaxStatus;
  statusText: string;
  to: string;
  email: string | null;
  pages: number | null;
  price: string | null;
  payment: string;
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;

function day(value: string, plusDays = 0): Date | null {
  if (!DATE.test(value)) return null;
  const date = new Date(`${value}T00:00:00Z`);
  if (Number.isNaN(date.getTime())) return null;
  date.setUTCDate(date.getUTCDate() + plusDays);
  return date;
}

/**
 * Reads the one search box: a fax id, the reference the sender's page shows (its first
 * eight characters), a payment intent or checkout session id, an email address, or a fax
 * number — whole in international form, or any part of it. Null when it is none of these.
 */
export function readQuery(q: string): { kind: SearchKind; criteria: FaxSearch } | null {
  const text = q.trim();
  if (!text) return { kind: 'all', criteria: {} };
  const id: unknown = text;
  if (isUuid(id)) return { kind: 'id', criteria: { id: id.toLowerCase() } };
  const reference = text.replace(/^#/, '');
  if (/^\d{8}$/.test(reference)) return { kind: 'reference_or_number', criteria: { idPrefixOrDigits: reference } };
  if (/^[0-9a-f]{8}$/i.test(reference)) return { kind: 'reference', criteria: { idPrefix: reference } };
  if (/^(pi|cs)_[A-Za-z0-9_]{4,}$/.test(text)) return { kind: 'payment', criteria: { paymentId: text } };
  if (text.includes('@')) return { kind: 'email', criteria: { email: text } };
  if (/^[0-9+()\-./\s]+$/.test(text) && (text.match(/\d/g) ?? []).length >= 4) {
    const international = text.startsWith('00') ? `+${text.slice(2)}` : text;
    const parsed = international.startsWith('+') ? parsePhoneNumberFromString(international) : undefined;
    if (parsed?.isValid()) return { kind: 'number', criteria: { toNumber: parsed.number } };
    // In part, or national: its digits anywhere in the number (a national trunk 0 is not stored).
    const digits = international.replace(/\D/g, '').replace(/^0+/, '');
    return { kind: 'number', criteria: { numberDigits: digits } };
  }
  return null;
}

export function searchFormOf(query: Koa.Context['query']): SearchForm {
  const one = (v: unknown): string => (typeof v === 'string' ? v.slice(0, 200) : '');
  return { q: one(query.q), status: one(query.status), from: one(query.from), to: one(query.to) };
}

/** The whole search (box, status, dates) as criteria, or the reason it cannot be run. */
export function criteriaOf(form: SearchForm): { kind: SearchKind; criteria: FaxSearch } | { problem: 'query' | 'dates' } {
  const read = readQuery(form.q);
  if (!read) return { problem: 'query' };
  const criteria: FaxSearch = { ...read.criteria };
  if ((FAX_STATUSES as readonly string[]).includes(form.status)) criteria.status = form.status as FaxStatus;
  if (form.from) {
    const from = day(form.from);
    if (!from) return { problem: 'dates' };
    criteria.createdFrom = from;
  }
  if (form.to) {
    const before = day(form.to, 1);
    if (!before) return { problem: 'dates' };
    criteria.createdBefore = before;
  }
  if (criteria.createdFrom && criteria.createdBefore && criteria.createdFrom >= criteria.createdBefore) return { problem: 'dates' };
  return { kind: read.kind, criteria };
}

export function resultRow(fax: Fax, locale: Locale): SearchResultRow {
  return {
    id: fax.id,
    reference: fax.id.slice(0, 8).toUpperCase(),
    created: shownTime(fax.createdAt, locale),
    status: fax.status,
    statusText: t(locale, `status.${fax.status}`),
    to: formatForDisplay(fax.toNumber),
    email: fax.email,
    pages: fax.pages,
    price: fax.priceAmount !== null && fax.currency ? formatMoney(fax.priceAmount, fax.currency, locale) : null,
    payment: t(locale, `support.payment.${fax.paymentState}`),
  };
}

function pageNumber(value: unknown): number {
  const n = typeof value === 'string' ? Number(value) : 1;
  return Number.isInteger(n) && n >= 1 && n <= 10_000 ? n : 1;
}

/** GET /{lang}/support: find faxes; with nothing asked, the latest ones. */
export function searchPage(deps: { renderer: SupportRenderer; faxes: Faxes }): Koa.Middleware {
  return async (ctx) => {
    const locale = localeOf(ctx);
    const form = searchFormOf(ctx.query);
    const page = pageNumber(ctx.query.page);
    const read = criteriaOf(form);
    const title = t(locale, 'support.search.title');
    const statuses = FAX_STATUSES.map((s) => ({ value: s, label: t(locale, `status.${s}`) }));
    if ('problem' in read) {
      deps.renderer.render(
        ctx,
        'search',
        {
          title,
          section: 'search',
          form,
          statuses,
          problem: t(locale, `support.search.problem.${read.problem}`),
          rows: [],
          total: 0,
          page,
          pages: 0,
          kind: null,
          pageLink: () => '',
        },
        422,
      );
      return;
    }
    const { faxes, total } = await deps.faxes.search(read.criteria, (page - 1) * PAGE_SIZE, PAGE_SIZE);
    const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
    const pageLink = (n: number): string => {
      const params = new URLSearchParams(Object.entries(form).filter(([, v]) => v));
      if (n > 1) params.set('page', String(n));
      const query = params.toString();
      return `/${locale}/support${query ? `?${query}` : ''}`;
    };
    deps.renderer.render(ctx, 'search', {
      title,
      section: 'search',
      form,
      statuses,
      kind: read.kind,
      rows: faxes.map((f) => resultRow(f, locale)),
      total,
      page,
      pages,
      first: total ? (page - 1) * PAGE_SIZE + 1 : 0,
      last: (page - 1) * PAGE_SIZE + faxes.length,
      pageLink,
    });
  };
}
