import type { Fax } from '../../db/entities/fax';
import type { FaxAttempt } from '../../db/entities/fax-attempt';
import { formatForDisplay } from '../../domain/phone';
import { formatMoney, paperFor, type PriceTable, rateFor } from '../../domain/pricing';
import { FINAL_FAX_STATUSES, type Locale } from '../../domain/status';
import type { Limits } from '../../config/config';
import { t, tPlural } from '../../i18n';
import { reasonText } from '../../i18n/reason-text';
import { countryName, shownTime, type ShownTime } from './format';
import { timelineOf, type Resend, type TimelineStep } from './timeline';

/** Which part of the journey the page is about. */
export type FaxStage = 'converting' | 'quote' | 'rejected' | 'status';

export type Tone = 'progress' | 'success' | 'failure' | 'neutral';

export interface FaxPageModel {
  id: string;
  reference: string;
  status: Fax['status'];
  stage: FaxStage;
  tone: Tone;
  heading: string;
  lead: string;
  to: string;
  countryName: string;
  pages: number | null;
  paper: string;
  price: { amount: number; total: string; breakdown: string } | null;
  payBy?: ShownTime;
  paymentText: string;
  reason?: string;
  warnings: string[];
  cover: Array<{ label: string; value: string }> | null;
  timeline: TimelineStep[];
  previews: Array<{ page: number; thumb: string; full: string; width: number; height: number }>;
  actions: { pay: boolean; cancel: boolean; report: boolean };
  final: boolean;
  /** At least one transmission was made: the previews show what was sent. */
  attempts: boolean;
  /** The page follows the fax by itself (server-sent events, or a reload without script). */
  live: boolean;
}

/** How a fax's heading looks by status, on the sender's page and on support's. */
export const FAX_TONE: Readonly<Record<Fax['status'], Tone>> = {
  converting: 'progress',
  awaiting_payment: 'neutral',
  queued: 'progress',
  sending: 'progress',
  retrying: 'progress',
  delivered: 'success',
  rejected: 'failure',
  failed: 'failure',
  expired: 'neutral',
  cancelled: 'neutral',
};

/** Statuses in which the workflow still honours a cancel: before the transmission starts, and between attempts. */
export const CANCELLABLE: ReadonlySet<Fax['status']> = new Set(['converting', 'awaiting_payment', 'queued', 'retrying']);

const THUMB_WIDTH = 216;

function stageOf(fax: Fax): FaxStage {
  if (fax.status === 'converting') return 'converting';
  if (fax.status === 'rejected') return 'rejected';
  if (fax.status === 'awaiting_payment') return 'quote';
  return 'status';
}

function paymentText(fax: Fax, locale: Locale): string {
  const money = (amount: number): string => formatMoney(amount, fax.currency ?? 'eur', locale);
  switch (fax.paymentState) {
    case 'none':
      return t(locale, 'page.fax.payment.none');
    case 'authorized':
      return t(locale, 'page.fax.payment.authorized', { amount: money(fax.priceAmount ?? 0) });
    case 'captured':
      return t(locale, 'page.fax.payment.captured', { amount: money(fax.amountCaptured || fax.priceAmount || 0) });
    case 'released':
      return t(locale, 'page.fax.payment.released');
    case 'refunded':
      return t(locale, 'page.fax.payment.refunded', { amount: money(fax.amountRefunded) });
  }
}

/** The page's headline and the sentence under it, by status. */
function headline(fax: Fax, locale: Locale, limits: Limits): { heading: string; lead: string } {
  const key = `page.fax.head.${fax.status}`;
  const params = {
    reason: fax.failureReason ? reasonText(locale, fax.failureReason, fax, limits) : '',
    pages: fax.pages ?? 0,
    number: formatForDisplay(fax.toNumber),
  };
  const lead = fax.status === 'awaiting_payment' ? tPlural(locale, `${key}.lead`, fax.pages ?? 0, params) : t(locale, `${key}.lead`, params);
  return { heading: t(locale, key, params), lead };
}

/**
 * Everything the sender's fax page shows, from the read model (never the workflow): the
 * quote before payment, the live timeline after it, and what may be done now.
 */
export function faxPageModel(
  fax: Fax,
  attempts: FaxAttempt[],
  opts: { prices: PriceTable; maxTransmissions: number; limits: Limits; locale: Locale; base: string; resends?: readonly Resend[] },
): FaxPageModel {
  const { locale } = opts;
  const final = FINAL_FAX_STATUSES.includes(fax.status);
  const stage = stageOf(fax);
  const paper = fax.paper ?? paperFor(fax.country);
  const rate = rateFor(fax.country, opts.prices);
  const currency = fax.currency ?? opts.prices.currency;
  const money = (amount: number): string => formatMoney(amount, currency, locale);
  const price =
    fax.priceAmount !== null && fax.pages
      ? {
          amount: fax.priceAmount,
          total: money(fax.priceAmount),
          breakdown: t(locale, 'page.fax.price.breakdown', { base: money(rate.base), pages: fax.pages, perPage: money(rate.perPage), total: money(fax.priceAmount) }),
        }
      : null;
  const coverLabels: Record<string, string> = {
    senderName: 'page.home.cover_sender',
    recipientName: 'page.home.cover_recipient',
    subject: 'page.home.cover_subject',
    message: 'page.home.cover_message',
  };
  const cover = fax.cover
    ? Object.entries(fax.cover)
        .filter(([, v]) => typeof v === 'string' && v)
        .map(([k, v]) => ({ label: t(locale, coverLabels[k] ?? k), value: v as string }))
    : null;
  const retained = !fax.purgedAt && !!fax.pages && stage !== 'rejected';
  const height = Math.round(THUMB_WIDTH * (paper === 'letter' ? 11 / 8.5 : 297 / 210));
  return {
    id: fax.id,
    reference: fax.id.slice(0, 8).toUpperCase(),
    status: fax.status,
    stage,
    tone: FAX_TONE[fax.status],
    ...headline(fax, locale, opts.limits),
    to: formatForDisplay(fax.toNumber),
    countryName: countryName(fax.country, locale),
    pages: fax.pages,
    paper,
    price,
    payBy: fax.status === 'awaiting_payment' ? shownTime(fax.paymentExpiresAt, locale) : undefined,
    paymentText: paymentText(fax, locale),
    reason: fax.failureReason ? reasonText(locale, fax.failureReason, fax, opts.limits) : undefined,
    warnings: fax.warnings.map((w) => t(locale, `page.fax.warning.${w.split(':')[0]}`, { page: w.split(':')[1] ?? '' })),
    cover: cover?.length ? cover : null,
    timeline: timelineOf(fax, attempts, { maxTransmissions: opts.maxTransmissions, locale, limits: opts.limits, resends: opts.resends }),
    previews: retained
      ? Array.from({ length: fax.pages ?? 0 }, (_, i) => ({
          page: i + 1,
          thumb: `${opts.base}/api/faxes/${fax.id}/pages/${i + 1}?size=thumb`,
          full: `${opts.base}/api/faxes/${fax.id}/pages/${i + 1}`,
          width: THUMB_WIDTH,
          height,
        }))
      : [],
    actions: {
      pay: fax.status === 'awaiting_payment' && fax.paymentState === 'none',
      cancel: CANCELLABLE.has(fax.status),
      // A report tells of a paid fax: its transmissions and what was charged.
      report: final && fax.paidAt !== null,
    },
    final,
    attempts: attempts.length > 0,
    live: !final,
  };
}
