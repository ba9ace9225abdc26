import type Koa from 'koa';
import type { DailyTime } from '../../config/config';
import type { Reconciliations, ReconciliationReport, StoredFinding } from '../../db/reconciliations';
import { formatMoney } from '../../domain/pricing';
import type { CarrierSide, OurSide, StripeSide } from '../../domain/reconciliation';
import type { Locale } from '../../domain/status';
import { t, tPlural } from '../../i18n';
import type { Logger } from '../../log';
import { localeOf } from '../middleware/locale';
import { shownTime, type ShownTime } from '../pages/format';
import type { SupportRenderer } from './render';
import type { SupportWorkflows } from './support-workflows';

/** Runs shown on the page, newest first, and findings shown per run. */
export const REPORTS_SHOWN = 10;
export const FINDINGS_SHOWN = 200;

export interface ReconciliationPageDeps {
  renderer: SupportRenderer;
  reports: Reconciliations;
  support: SupportWorkflows;
  /** The configured daily time, to say when the next run is; null: switched off. */
  reconcileAt: DailyTime | null;
  log: Logger;
}

export interface FindingView {
  faxId: string;
  reference: string;
  code: string;
  title: string;
  advice: string;
  ours: string;
  theirs: string;
}

export interface ReportView {
  id: string;
  started: ShownTime | undefined;
  completed: ShownTime | undefined;
  from: ShownTime | undefined;
  to: ShownTime | undefined;
  running: boolean;
  checked: string;
  found: string;
  findings: FindingView[];
  /** Findings of the run not shown (past FINDINGS_SHOWN). */
  more: number;
}

const money = (amount: number | null | undefined, currency: string | null | undefined, locale: Locale): string =>
  amount === null || amount === undefined ? '–' : currency ? formatMoney(amount, currency, locale) : String(amount);

/** Durafax's side in words: the fax's status, its payment, its amounts, and the transmission a finding is about. */
export function oursText(o: OurSide, locale: Locale): string {
  const parts = [
    t(locale, `status.${o.status}`),
    t(locale, 'support.reconcile.ours.payment', { state: t(locale, `support.payment.${o.paymentState}`) }),
    t(locale, 'support.reconcile.ours.amounts', {
      price: money(o.price, o.currency, locale),
      captured: money(o.captured, o.currency, locale),
      refunded: money(o.refunded, o.currency, locale),
    }),
  ];
  if (o.attempt) parts.push(t(locale, 'support.reconcile.ours.attempt', { number: o.attempt.number, status: o.attempt.status }));
  if (o.purged) parts.push(t(locale, 'support.reconcile.ours.purged'));
  return parts.join(' · ');
}

/** Stripe's or the carrier's side in words, with their own status names (as their dashboards show them). */
export function theirsText(side: StripeSide | CarrierSide, locale: Locale): string {
  if (side.party === 'stripe') {
    if (!side.paymentIntentId) return t(locale, 'support.reconcile.stripe.none');
    if (!side.found) return t(locale, 'support.reconcile.stripe.not_found', { id: side.paymentIntentId });
    return t(locale, 'support.reconcile.stripe.intent', {
      id: side.paymentIntentId,
      status: side.status ?? '–',
      received: money(side.received, side.currency, locale),
      amount: money(side.amount, side.currency, locale),
      refunded: money(side.refunded, side.currency, locale),
    });
  }
  if (side.transmissions !== undefined) {
    return side.transmissions === 0 ? t(locale, 'support.reconcile.carrier.no_transmission') : tPlural(locale, 'support.reconcile.carrier.none_delivered', side.transmissions);
  }
  if (!side.found) return t(locale, 'support.reconcile.carrier.not_found', { id: side.carrierFaxId ?? '–' });
  const status = side.failureReason ? `${side.status ?? '–'} (${side.failureReason})` : (side.status ?? '–');
  return t(locale, 'support.reconcile.carrier.fax', { id: side.carrierFaxId ?? '–', number: side.attempt ?? '–', status });
}

export function findingView(f: StoredFinding, locale: Locale): FindingView {
  return {
    faxId: f.faxId,
    reference: f.faxId.slice(0, 8).toUpperCase(),
    code: f.code,
    title: t(locale, `support.reconcile.code.${f.code}`),
    advice: t(locale, `support.reconcile.advice.${f.code}`),
    ours: oursText(f.ours, locale),
    theirs: t(locale, 'support.reconcile.party.says', { party: t(locale, `support.reconcile.party.${f.theirs.party}`), text: theirsText(f.theirs, locale) }),
  };
}

function reportView(r: ReconciliationReport, findings: StoredFinding[], locale: Locale): ReportView {
  const mine = findings.filter((f) => f.reconciliationId === r.id);
  return {
    id: r.id,
    started: shownTime(r.startedAt, locale),
    completed: shownTime(r.completedAt, locale),
    from: shownTime(r.windowFrom, locale),
    to: shownTime(r.windowTo, locale),
    running: r.completedAt === null,
    checked: tPlural(locale, 'support.reconcile.checked', r.faxesChecked),
    found: tPlural(locale, 'support.reconcile.found', r.completedAt ? r.findings : mine.length),
    findings: mine.map((f) => findingView(f, locale)),
    more: Math.max(0, r.findings - mine.length),
  };
}

const NOTES = ['triggered', 'off'] as const;

/** GET /{lang}/support/reconciliation: the latest runs and their findings, and "run now". */
export function reconciliationPage(deps: ReconciliationPageDeps): Koa.Middleware {
  return async (ctx) => {
    const locale = localeOf(ctx);
    const reports = await deps.reports.latest(REPORTS_SHOWN);
    const findings = await deps.reports.findingsOf(
      reports.map((r) => r.id),
      FINDINGS_SHOWN,
    );
    const note = (NOTES as readonly string[]).includes(String(ctx.query.note)) ? String(ctx.query.note) : null;
    const at = deps.reconcileAt;
    deps.renderer.render(ctx, 'reconciliation', {
      title: t(locale, 'support.reconcile.title'),
      section: 'reconciliation',
      schedule: at
        ? t(locale, 'support.reconcile.schedule.daily', { time: `${String(at.hour).padStart(2, '0')}:${String(at.minute).padStart(2, '0')}`, zone: at.timeZone })
        : t(locale, 'support.reconcile.schedule.off'),
      scheduled: at !== null,
      note: note ? t(locale, `support.reconcile.note.${note}`) : null,
      noteTone: note === 'off' ? 'error' : 'success',
      reports: reports.map((r) => reportView(r, findings, locale)),
    });
  };
}

/** POST /{lang}/support/reconciliation/run: the schedule's trigger; back to the page, which says what came of it. */
export function runReconciliation(deps: ReconciliationPageDeps): Koa.Middleware {
  return async (ctx) => {
    const answer = await deps.support.reconcileNow();
    // Logs name no support user: the audit of who asked is not needed for a read-only check.
    deps.log.info('reconciliation asked for by support', { outcome: answer });
    ctx.status = 303;
    ctx.redirect(`/${localeOf(ctx)}/support/reconciliation?note=${answer}`);
  };
}
