import type { Fax } from '../../db/entities/fax';
import type { FaxAttempt } from '../../db/entities/fax-attempt';
import { formatForDisplay } from '../../domain/phone';
import { formatMoney } from '../../domain/pricing';
import type { Locale } from '../../domain/status';
import type { Limits } from '../../config/config';
import { t, tPlural } from '../../i18n';
import { reasonText } from '../../i18n/reason-text';
import { shownTime, type ShownTime } from './format';

export type StepState = 'done' | 'current' | 'todo' | 'failed';

export interface TimelineStep {
  key: string;
  state: StepState;
  title: string;
  detail?: string;
  time?: ShownTime;
}

const PAID_STATES = new Set(['authorized', 'captured', 'released', 'refunded']);

/** A support agent's resend of the fax to a corrected number: a new round of transmissions. */
export interface Resend {
  at: Date;
  toNumber: string;
}

function attemptSteps(fax: Fax, attempts: FaxAttempt[], resends: readonly Resend[], opts: TimelineOptions): TimelineStep[] {
  const { maxTransmissions, locale, limits } = opts;
  const tr = (key: string, params = {}): string => t(locale, key, params);
  const steps: TimelineStep[] = [];
  const rounds = [...resends].sort((a, b) => a.at.getTime() - b.at.getTime());
  let round = 0;
  let inRound = 0;
  for (const a of attempts) {
    // Attempts made after a resend count again from 1, after a step that says so.
    const started = a.submittedAt ?? a.createdAt;
    while (round < rounds.length && started && rounds[round].at <= started) {
      steps.push({
        key: `resend-${round + 1}`,
        state: 'done',
        title: tr('page.timeline.resent', { number: formatForDisplay(rounds[round].toNumber) }),
        detail: tr('page.timeline.resent.detail'),
        time: shownTime(rounds[round].at, locale),
      });
      round++;
      inRound = 0;
    }
    inRound++;
    const title = tr('page.timeline.attempt', { n: inRound, total: Math.max(maxTransmissions, inRound) });
    const pages = a.pagesSent !== null && fax.pages ? tr('page.timeline.pages_sent', { sent: a.pagesSent, pages: fax.pages }) : null;
    if (a.status === 'delivered') {
      steps.push({
        key: `attempt-${a.number}`,
        state: 'done',
        title,
        detail: [tr('page.timeline.attempt.delivered'), pages].filter(Boolean).join(' · '),
        time: shownTime(a.completedAt, locale),
      });
    } else if (a.status === 'failed') {
      const reason = a.reason ? reasonText(locale, a.reason, fax, limits) : tr('page.timeline.attempt.failed');
      steps.push({ key: `attempt-${a.number}`, state: 'failed', title, detail: [reason, pages].filter(Boolean).join(' · '), time: shownTime(a.completedAt, locale) });
    } else if (a.status === 'cancelled') {
      steps.push({ key: `attempt-${a.number}`, state: 'failed', title, detail: tr('page.timeline.attempt.cancelled'), time: shownTime(a.completedAt, locale) });
    } else {
      const detail = a.status === 'sending' ? tr('page.timeline.attempt.sending') : tr('page.timeline.attempt.queued');
      steps.push({ key: `attempt-${a.number}`, state: 'current', title, detail: [detail, pages].filter(Boolean).join(' · '), time: shownTime(a.submittedAt, locale) });
    }
  }
  // A resend whose first transmission has not begun yet.
  for (; round < rounds.length; round++) {
    steps.push({
      key: `resend-${round + 1}`,
      state: 'done',
      title: tr('page.timeline.resent', { number: formatForDisplay(rounds[round].toNumber) }),
      detail: tr('page.timeline.resent.detail'),
      time: shownTime(rounds[round].at, locale),
    });
    inRound = 0;
  }
  if (fax.status === 'retrying') {
    steps.push({
      key: 'next-attempt',
      state: 'current',
      title: tr('page.timeline.next_attempt', { n: inRound + 1, total: Math.max(maxTransmissions, inRound + 1) }),
      detail: tr('page.timeline.next_attempt.detail'),
      time: shownTime(fax.nextAttemptAt, locale),
    });
  }
  return steps;
}

function outcomeStep(fax: Fax, locale: Locale, limits: Limits): TimelineStep | null {
  const tr = (key: string, params = {}): string => t(locale, key, params);
  const reason = fax.failureReason ? reasonText(locale, fax.failureReason, fax, limits) : undefined;
  switch (fax.status) {
    case 'delivered':
      return { key: 'outcome', state: 'done', title: tr('page.timeline.delivered'), time: shownTime(fax.deliveredAt, locale) };
    case 'failed':
      return { key: 'outcome', state: 'failed', title: tr('page.timeline.failed'), detail: reason, time: shownTime(fax.completedAt, locale) };
    case 'cancelled':
      return { key: 'outcome', state: 'failed', title: tr('page.timeline.cancelled'), detail: reason, time: shownTime(fax.completedAt, locale) };
    case 'expired':
      return { key: 'outcome', state: 'failed', title: tr('page.timeline.expired'), detail: reason, time: shownTime(fax.completedAt, locale) };
    case 'queued':
    case 'sending':
    case 'retrying':
      return { key: 'outcome', state: 'todo', title: tr('page.timeline.delivery') };
    default:
      return null;
  }
}

function moneyStep(fax: Fax, locale: Locale): TimelineStep | null {
  const tr = (key: string, params = {}): string => t(locale, key, params);
  const money = (amount: number): string => formatMoney(amount, fax.currency ?? 'eur', locale);
  const at = shownTime(fax.settledAt, locale);
  switch (fax.paymentState) {
    case 'captured':
      return { key: 'money', state: 'done', title: tr('page.timeline.charged', { amount: money(fax.amountCaptured || fax.priceAmount || 0) }), time: at };
    case 'released':
      return { key: 'money', state: 'done', title: tr('page.timeline.released'), detail: tr('page.timeline.released.detail'), time: at };
    case 'refunded':
      return {
        key: 'money',
        state: 'done',
        title: tr('page.timeline.refunded', { amount: money(fax.amountRefunded || fax.amountCaptured || 0) }),
        detail: tr('page.timeline.refunded.detail'),
        time: at,
      };
    case 'authorized':
      return { key: 'money', state: 'todo', title: tr('page.timeline.charge_on_delivery') };
    default:
      return null;
  }
}

/**
 * The story of one fax as its status page tells it, from the read model: uploaded,
 * converted, paid (a card hold), each transmission with the carrier's reason in plain
 * words, the outcome, what happened to the money, and when the documents go.
 */
export interface TimelineOptions {
  maxTransmissions: number;
  locale: Locale;
  limits: Limits;
  /** Support's resends to a corrected number, each beginning a new round of transmissions. */
  resends?: readonly Resend[];
}

export function timelineOf(fax: Fax, attempts: FaxAttempt[], opts: TimelineOptions): TimelineStep[] {
  const { maxTransmissions, locale, limits } = opts;
  const tr = (key: string, params = {}): string => t(locale, key, params);
  const steps: TimelineStep[] = [{ key: 'uploaded', state: 'done', title: tr('page.timeline.uploaded'), time: shownTime(fax.createdAt, locale) }];

  if (fax.status === 'converting') {
    steps.push({ key: 'converted', state: 'current', title: tr('page.timeline.converting') });
    return steps;
  }
  if (fax.status === 'rejected') {
    steps.push({
      key: 'converted',
      state: 'failed',
      title: tr('page.timeline.rejected'),
      detail: fax.failureReason ? reasonText(locale, fax.failureReason, fax, limits) : undefined,
      time: shownTime(fax.convertedAt ?? fax.completedAt, locale),
    });
  } else if (fax.pages) {
    steps.push({ key: 'converted', state: 'done', title: tPlural(locale, 'page.timeline.converted', fax.pages), time: shownTime(fax.convertedAt, locale) });
  }

  const price = fax.priceAmount !== null && fax.currency ? formatMoney(fax.priceAmount, fax.currency, locale) : '';
  if (PAID_STATES.has(fax.paymentState) && fax.paidAt) {
    steps.push({ key: 'paid', state: 'done', title: tr('page.timeline.paid', { amount: price }), detail: tr('page.timeline.paid.detail'), time: shownTime(fax.paidAt, locale) });
  } else if (fax.status === 'awaiting_payment') {
    steps.push({ key: 'paid', state: 'current', title: tr('page.timeline.awaiting_payment'), detail: tr('page.timeline.awaiting_payment.detail', { amount: price }) });
  } else if (fax.status === 'queued') {
    steps.push({ key: 'paid', state: 'done', title: tr('page.timeline.paid', { amount: price }), time: shownTime(fax.paidAt, locale) });
  }

  steps.push(...attemptSteps(fax, attempts, opts.resends ?? [], opts));
  if (fax.status === 'queued' && attempts.length === 0) {
    steps.push({ key: 'attempt-1', state: 'current', title: tr('page.timeline.attempt', { n: 1, total: maxTransmissions }), detail: tr('page.timeline.attempt.queued') });
  }
  const outcome = outcomeStep(fax, locale, limits);
  if (outcome) steps.push(outcome);
  const money = moneyStep(fax, locale);
  if (money) steps.push(money);

  if (fax.purgedAt) {
    steps.push({ key: 'purged', state: 'done', title: tr('page.timeline.purged'), time: shownTime(fax.purgedAt, locale) });
  } else if (fax.purgeAt) {
    steps.push({ key: 'purge', state: 'todo', title: tr('page.timeline.purge_on'), time: shownTime(fax.purgeAt, locale) });
  } else {
    steps.push({ key: 'purge', state: 'todo', title: tr('page.timeline.purge_later') });
  }
  return steps;
}
