import type { Fax } from '../db/entities/fax';
import type { FaxAttempt } from '../db/entities/fax-attempt';
import { formatForDisplay } from '../domain/phone';
import { formatMoney } from '../domain/pricing';
import type { Locale } from '../domain/status';
import { t } from '../i18n';

/** The public JSON view of a fax: what its owner (holder of the token) may see. */
export interface FaxView {
  id: string;
  status: Fax['status'];
  statusText: string;
  to: string;
  country: string;
  locale: Locale;
  pages: number | null;
  paper: Fax['paper'];
  price: { amount: number; currency: string; formatted: string } | null;
  payment: { state: Fax['paymentState']; checkoutUrl: string | null; payBy: string | null };
  attempts: Array<{
    number: number;
    status: FaxAttempt['status'];
    reason: string | null;
    message: string | null;
    pagesSent: number | null;
    durationSecs: number | null;
    completedAt: string | null;
  }>;
  failure: { code: string; message: string } | null;
  warnings: string[];
  createdAt: string;
  updatedAt: string;
  deliveredAt: string | null;
  purgeAt: string | null;
  documentsPurged: boolean;
  /** `checkout` while the fax can be paid: POST there for where to pay. */
  links: { self: string; cancel: string; checkout?: string; previews: string[] };
}

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

export function faxView(fax: Fax, attempts: FaxAttempt[], locale: Locale): FaxView {
  const payable = fax.status === 'awaiting_payment' && fax.paymentState === 'none';
  const pages = fax.pages ?? 0;
  return {
    id: fax.id,
    status: fax.status,
    statusText: t(locale, `status.${fax.status}`),
    to: formatForDisplay(fax.toNumber),
    country: fax.country,
    locale: fax.locale,
    pages: fax.pages,
    paper: fax.paper,
    price: fax.priceAmount !== null && fax.currency ? { amount: fax.priceAmount, currency: fax.currency, formatted: formatMoney(fax.priceAmount, fax.currency, locale) } : null,
    payment: { state: fax.paymentState, checkoutUrl: payable ? fax.checkoutUrl : null, payBy: payable ? iso(fax.paymentExpiresAt) : null },
    attempts: attempts
      .sort((a, b) => a.number - b.number)
      .map((a) => ({
        number: a.number,
        status: a.status,
        reason: a.reason,
        message: a.reason ? t(locale, `reason.${a.reason}`) : null,
        pagesSent: a.pagesSent,
        durationSecs: a.durationSecs,
        completedAt: iso(a.completedAt),
      })),
    failure: fax.failureReason && fax.status !== 'delivered' ? { code: fax.failureReason, message: t(locale, `reason.${fax.failureReason}`) } : null,
    warnings: fax.warnings,
    createdAt: fax.createdAt.toISOString(),
    updatedAt: fax.updatedAt.toISOString(),
    deliveredAt: iso(fax.deliveredAt),
    purgeAt: iso(fax.purgeAt),
    documentsPurged: fax.purgedAt !== null,
    links: {
      self: `/api/faxes/${fax.id}`,
      cancel: `/api/faxes/${fax.id}/cancel`,
      ...(payable ? { checkout: `/api/faxes/${fax.id}/checkout` } : {}),
      previews: fax.purgedAt ? [] : Array.from({ length: pages }, (_, i) => `/api/faxes/${fax.id}/pages/${i + 1}`),
    },
  };
}
