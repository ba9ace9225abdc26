import type Koa from 'koa';
import type { Limits, TemporalConfig } from '../../config/config';
import type { DocumentStore } from '../../db/document-store';
import type { Fax } from '../../db/entities/fax';
import type { SupportActionRow } from '../../db/entities/support';
import type { Faxes } from '../../db/faxes';
import type { Reconciliations } from '../../db/reconciliations';
import type { SupportActions } from '../../db/support-actions';
import type { WebhookEvents } from '../../db/webhook-events';
import { formatForDisplay } from '../../domain/phone';
import { formatMoney } from '../../domain/pricing';
import type { Locale } from '../../domain/status';
import { hasMessage, t } from '../../i18n';
import { reasonText } from '../../i18n/reason-text';
import type { Logger } from '../../log';
import { SUPPORT_REFUSALS, type FaxState } from '../../workflows/contract';
import { HttpProblem } from '../errors';
import type { FaxWorkflows } from '../fax-workflows';
import { localeOf } from '../middleware/locale';
import { countryName, shownTime, type ShownTime } from '../pages/format';
import { CANCELLABLE, FAX_TONE } from '../pages/fax-model';
import { LANGUAGE_NAMES } from '../pages/render';
import { timelineOf } from '../pages/timeline';
import { findingView } from './reconciliation';
import type { SupportRenderer } from './render';
import { supportFax } from './require-support';

export interface FaxDetailDeps {
  renderer: SupportRenderer;
  faxes: Faxes;
  actions: SupportActions;
  webhooks: WebhookEvents;
  store: DocumentStore;
  workflows: FaxWorkflows;
  maxTransmissions: number;
  limits: Limits;
  temporal: Pick<TemporalConfig, 'namespace'>;
  /** The Temporal UI's base URL, for the link to the fax's workflow; null: no link. */
  temporalUiUrl: string | null;
  /** The reconciliation's findings, shown on the fax they name. */
  reports: Reconciliations;
  log: Logger;
}

/** What a support user typed into an action's form, shown again beside its problem. */
export interface ActionForm {
  action: 'cancel' | 'refund' | 'resend';
  reason: string;
  number?: string;
  errors: Record<string, string>;
}

/** An action support can take now, or why not. */
export interface ActionOffer {
  available: boolean;
  /** Why it is not available (translated), when it is not. */
  why?: string;
}

/** A query of a workflow whose worker is away would wait; the page does not. */
const LIVE_WAIT_MS = 3000;

function offers(fax: Fax, attempts: number, locale: Locale): Record<ActionForm['action'], ActionOffer> {
  const no = (key: string): ActionOffer => ({ available: false, why: t(locale, `support.action.why_not.${key}`) });
  const retained = !fax.purgedAt;
  return {
    cancel: CANCELLABLE.has(fax.status) ? { available: true } : no(fax.status === 'sending' ? 'cancel_sending' : 'cancel_final'),
    refund:
      fax.status !== 'delivered'
        ? no('refund_not_delivered')
        : fax.paymentState === 'refunded'
          ? no('refund_done')
          : fax.paymentState !== 'captured'
            ? no('refund_not_captured')
            : !retained
              ? no('closed')
              : { available: true },
    resend: fax.status !== 'failed' || attempts === 0 ? no('resend_not_failed') : !retained ? no('closed') : { available: true },
  };
}

/** An audit outcome in words: what the workflow did, or why it refused. */
export function outcomeText(row: Pick<SupportActionRow, 'outcome' | 'outcomeCode'>, locale: Locale): string {
  const outcome = t(locale, `support.outcome.${row.outcome}`);
  if (!row.outcomeCode) return outcome;
  const key = (SUPPORT_REFUSALS as readonly string[]).includes(row.outcomeCode) ? `support.refused.${row.outcomeCode}` : `reason.${row.outcomeCode}`;
  return t(locale, 'support.outcome.because', { outcome, reason: hasMessage(key) ? t(locale, key) : row.outcomeCode });
}

/** What the page says right after an action: in so many words when it went through, else its outcome. */
function flashOf(row: SupportActionRow, fax: Fax, locale: Locale): { tone: 'success' | 'info' | 'error'; message: string } {
  const specific = `support.flash.${row.kind}.${row.outcome}`;
  const params = {
    amount: formatMoney(fax.amountRefunded || fax.amountCaptured || fax.priceAmount || 0, fax.currency ?? 'eur', locale),
    number: row.toNumber ? formatForDisplay(row.toNumber) : '',
  };
  const message = hasMessage(specific)
    ? t(locale, specific, params)
    : t(locale, 'support.flash', { action: t(locale, `support.action.${row.kind}`), outcome: outcomeText(row, locale) });
  const tone = row.outcome === 'pending' ? 'info' : ['refused', 'closed', 'failed'].includes(row.outcome) ? 'error' : 'success';
  return { tone, message };
}

function liveRows(state: FaxState, fax: Fax, locale: Locale): Array<{ label: string; value: string }> {
  const tr = (key: string, params = {}): string => t(locale, key, params);
  const attempts = state.attempts.map((a) => `${a.number}: ${tr(`support.attempt.${a.status}`)}${a.reason ? ` (${tr(`reason.${a.reason}`)})` : ''}`);
  return [
    { label: tr('support.live.status'), value: tr(`status.${state.status}`) },
    { label: tr('support.live.payment'), value: tr(`support.payment.${state.paymentState}`) },
    { label: tr('support.live.attempts'), value: attempts.length ? attempts.join(' · ') : tr('support.none') },
    { label: tr('support.live.cancel'), value: tr(`support.live.cancel.${state.cancel}`) },
    { label: tr('support.live.carrier_events'), value: String(state.carrierEventsReceived) },
    { label: tr('support.live.documents'), value: tr(state.purged ? 'support.live.documents.purged' : 'support.live.documents.kept') },
    ...(state.status !== fax.status ? [{ label: tr('support.live.differs'), value: tr('support.live.differs.detail') }] : []),
  ];
}

/** The workflow's own view of the fax, or why there is none: it may have ended (and been deleted) or be out of reach. */
async function liveState(deps: FaxDetailDeps, faxId: string): Promise<{ kind: 'live'; state: FaxState } | { kind: 'gone' | 'unreachable' }> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), LIVE_WAIT_MS);
  });
  try {
    const state = await Promise.race([deps.workflows.state(faxId), late]);
    if (state === 'late') return { kind: 'unreachable' };
    return state ? { kind: 'live', state } : { kind: 'gone' };
  } catch (err) {
    deps.log.warn('support: the fax workflow could not be queried', { faxId, err });
    return { kind: 'unreachable' };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * A refund or resend whose answer the page did not wait for is `pending` in the audit log;
 * once the workflow's state lists it, it was taken up, and the log says so.
 */
async function settlePending(deps: FaxDetailDeps, rows: SupportActionRow[], state: FaxState | null): Promise<void> {
  if (!state) return;
  for (const row of rows) {
    const taken = state.supportActions.find((a) => a.actionId === row.id);
    if (row.outcome !== 'pending' || !taken) continue;
    row.outcome = taken.kind === 'refund' ? 'refunded' : 'resending';
    row.completedAt = new Date();
    await deps.actions.finish(row.id, row.outcome);
  }
}

/** Renders a fax's support page; `form` is an action's form sent back with its problems. */
export async function renderFaxDetail(ctx: Koa.Context, deps: FaxDetailDeps, form?: ActionForm, status = 200): Promise<void> {
  const fax = supportFax(ctx);
  const locale = localeOf(ctx);
  const tr = (key: string, params = {}): string => t(locale, key, params);
  const money = (amount: number): string => formatMoney(amount, fax.currency ?? 'eur', locale);
  const [attempts, events, audit, sentAgainAs, resentFrom, live, findings] = await Promise.all([
    deps.faxes.attempts(fax.id),
    deps.webhooks.forFax(fax.id),
    deps.actions.forFax(fax.id),
    deps.faxes.sentAgainAs(fax.id),
    fax.resentFrom ? deps.faxes.find(fax.resentFrom) : Promise.resolve(null),
    liveState(deps, fax.id),
    deps.reports.findingsForFax(fax.id, fax.updatedAt, 10),
  ]);
  await settlePending(deps, audit, live.kind === 'live' ? live.state : null);
  const done = typeof ctx.query.action === 'string' ? audit.find((a) => a.id === ctx.query.action) : undefined;
  const time = (d: Date | null): ShownTime | undefined => shownTime(d, locale);
  const reference = fax.id.slice(0, 8).toUpperCase();
  const retained = !fax.purgedAt && !!fax.pages && fax.status !== 'rejected';
  deps.renderer.render(
    ctx,
    'fax',
    {
      title: tr('support.fax.title', { reference }),
      section: 'search',
      flash: done ? flashOf(done, fax, locale) : undefined,
      reconciliation: findings.map((f) => ({ ...findingView(f, locale), found: time(f.createdAt) })),
      form,
      fax: {
        id: fax.id,
        reference,
        status: fax.status,
        statusText: tr(`status.${fax.status}`),
        tone: FAX_TONE[fax.status],
        paper: fax.paper ?? 'a4',
        to: formatForDisplay(fax.toNumber),
        countryName: countryName(fax.country, locale),
        email: fax.email,
        language: LANGUAGE_NAMES[fax.locale],
        pages: fax.pages,
        price: fax.priceAmount !== null ? money(fax.priceAmount) : null,
        payment: tr(`support.payment.${fax.paymentState}`),
        captured: fax.amountCaptured ? money(fax.amountCaptured) : null,
        refunded: fax.amountRefunded ? money(fax.amountRefunded) : null,
        paymentIntentId: fax.paymentIntentId,
        checkoutSessionId: fax.checkoutSessionId,
        carrierFaxId: fax.carrierFaxId,
        failure: fax.failureReason && fax.status !== 'delivered' ? reasonText(locale, fax.failureReason, fax, deps.limits) : null,
        failureDetail: fax.failureDetail,
        created: time(fax.createdAt),
        purge: fax.purgedAt ? { done: true, time: time(fax.purgedAt) } : fax.purgeAt ? { done: false, time: time(fax.purgeAt) } : null,
        workflowId: fax.workflowId,
      },
      links: {
        temporalUi: deps.temporalUiUrl ? `${deps.temporalUiUrl}/namespaces/${encodeURIComponent(deps.temporal.namespace)}/workflows/${encodeURIComponent(fax.workflowId)}` : null,
        resentFrom: resentFrom ? { id: resentFrom.id, reference: resentFrom.id.slice(0, 8).toUpperCase(), status: tr(`status.${resentFrom.status}`) } : null,
        sentAgainAs: sentAgainAs.map((f) => ({ id: f.id, reference: f.id.slice(0, 8).toUpperCase(), status: tr(`status.${f.status}`) })),
      },
      offers: offers(fax, attempts.length, locale),
      timeline: timelineOf(fax, attempts, { maxTransmissions: deps.maxTransmissions, locale, limits: deps.limits }),
      live: live.kind === 'live' ? { kind: 'live', rows: liveRows(live.state, fax, locale) } : { kind: live.kind },
      attempts: attempts.map((a) => ({
        number: a.number,
        state: a.status,
        status: tr(`support.attempt.${a.status}`),
        reason: a.reason ? tr(`reason.${a.reason}`) : null,
        carrierStatus: a.carrierStatus,
        carrierReason: a.carrierReason,
        pagesSent: a.pagesSent,
        duration: a.durationSecs,
        completed: time(a.completedAt),
        carrierFaxId: a.carrierFaxId,
      })),
      webhooks: events.map((e) => ({ provider: e.provider === 'stripe' ? 'Stripe' : 'Telnyx', type: e.type, eventId: e.eventId, received: time(e.receivedAt) })),
      audit: audit.map((a) => ({
        when: time(a.createdAt),
        actor: a.actor,
        action: tr(`support.action.${a.kind}`),
        reason: a.reason ?? tr('support.audit.reason_redacted'),
        numbers: a.toNumber ? tr('support.audit.numbers', { from: a.previousNumber ? formatForDisplay(a.previousNumber) : '?', to: formatForDisplay(a.toNumber) }) : null,
        outcome: outcomeText(a, locale),
        tone: a.outcome === 'pending' ? 'pending' : ['refused', 'closed', 'failed'].includes(a.outcome) ? 'bad' : 'good',
      })),
      previews: retained
        ? Array.from({ length: fax.pages ?? 0 }, (_, i) => ({
            page: i + 1,
            thumb: `/${locale}/support/faxes/${fax.id}/pages/${i + 1}?size=thumb`,
            full: `/${locale}/support/faxes/${fax.id}/pages/${i + 1}`,
          }))
        : [],
    },
    status,
  );
}

/** GET /{lang}/support/faxes/:id: everything about one fax, and what support can do with it. */
export function faxDetailPage(deps: FaxDetailDeps): Koa.Middleware {
  return async (ctx) => renderFaxDetail(ctx, deps);
}

/** GET /{lang}/support/faxes/:id/pages/:page[?size=thumb]: a page as transmitted, while retained. */
export function supportPageImage(store: DocumentStore): Koa.Middleware {
  return async (ctx) => {
    const fax = supportFax(ctx);
    const page = Number((ctx.params as { page: string }).page);
    if (!Number.isInteger(page) || page < 1 || page > (fax.pages ?? 0)) throw new HttpProblem(404, 'not_found');
    const image = await store.find(fax.id, ctx.query.size === 'thumb' ? 'thumbnail' : 'preview', page);
    if (!image) throw new HttpProblem(404, 'not_found');
    ctx.set('Cache-Control', 'private, no-store');
    ctx.type = 'image/png';
    ctx.body = image.data;
  };
}
