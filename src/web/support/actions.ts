import type Koa from 'koa';
import type { SupportActionOutcome } from '../../db/entities/support';
import type { SupportActions } from '../../db/support-actions';
import { validateFaxNumber } from '../../domain/phone';
import { t } from '../../i18n';
import type { Logger } from '../../log';
import type { FaxWorkflows } from '../fax-workflows';
import { localeOf } from '../middleware/locale';
import { renderFaxDetail, type ActionForm, type FaxDetailDeps } from './fax-detail';
import { supportFax, supportUser } from './require-support';
import type { SupportWorkflows, UpdateAnswer } from './support-workflows';

export interface ActionDeps extends FaxDetailDeps {
  actions: SupportActions;
  workflows: FaxWorkflows;
  support: SupportWorkflows;
  allowedCountries: readonly string[];
  log: Logger;
}

type Body = Record<string, string | undefined>;

const REASON_MAX = 1000;

function bodyOf(ctx: Koa.Context): Body {
  return (ctx.request as Koa.Request & { body?: Body }).body ?? {};
}

/** The reason every action needs, or the form back with its problem. */
function reasonOf(ctx: Koa.Context, form: ActionForm): string | null {
  const reason = (bodyOf(ctx).reason ?? '').trim();
  form.reason = reason;
  if (reason.length < 3) form.errors.reason = t(localeOf(ctx), 'support.action.reason.missing');
  else if (reason.length > REASON_MAX) form.errors.reason = t(localeOf(ctx), 'support.action.reason.too_long', { max: REASON_MAX });
  return form.errors.reason ? null : reason;
}

function back(ctx: Koa.Context, faxId: string, actionId: string): void {
  ctx.status = 303;
  ctx.redirect(`/${localeOf(ctx)}/support/faxes/${faxId}?action=${actionId}#actions`);
}

/** What an update's answer is in the audit log; null while it is pending (the workflow finishes it). */
type Answered = Exclude<SupportActionOutcome, 'pending'>;

function outcomeOf<T>(answer: UpdateAnswer<T>, done: (result: T) => Answered): [Answered, string | null] | null {
  switch (answer.kind) {
    case 'done':
      return [done(answer.result), null];
    case 'refused':
      return ['refused', answer.reason];
    case 'closed':
      return ['closed', null];
    case 'pending':
      return null;
  }
}

/**
 * POST /{lang}/support/faxes/:id/cancel: the fax's cancel signal, by support. The workflow
 * decides (until the transmission starts, and between attempts).
 */
export function cancelBySupport(deps: ActionDeps): Koa.Middleware {
  return async (ctx) => {
    const fax = supportFax(ctx);
    const form: ActionForm = { action: 'cancel', reason: '', errors: {} };
    const reason = reasonOf(ctx, form);
    if (!reason) return renderFaxDetail(ctx, deps, form, 422);
    const row = await deps.actions.begin({ faxId: fax.id, actor: supportUser(ctx), kind: 'cancel', reason });
    const decision = await deps.workflows.cancel(fax.id, 'support');
    if (decision !== 'pending') await deps.actions.finish(row.id, decision === 'accepted' ? 'accepted' : 'refused', decision === 'refused' ? 'not_cancellable' : null);
    deps.log.info('support action', { faxId: fax.id, actionId: row.id, kind: 'cancel', outcome: decision });
    back(ctx, fax.id, row.id);
  };
}

/**
 * POST /{lang}/support/faxes/:id/refund: the workflow's refund update, which runs the refund
 * activity and answers. Clicked twice, the second answers that it was refunded already.
 */
export function refundBySupport(deps: ActionDeps): Koa.Middleware {
  return async (ctx) => {
    const fax = supportFax(ctx);
    const form: ActionForm = { action: 'refund', reason: '', errors: {} };
    const reason = reasonOf(ctx, form);
    if (!reason) return renderFaxDetail(ctx, deps, form, 422);
    const row = await deps.actions.begin({ faxId: fax.id, actor: supportUser(ctx), kind: 'refund', reason });
    const answer = await deps.support.refund(fax.id, { actionId: row.id, by: row.actor });
    const outcome = outcomeOf(answer, (r) => (r.outcome === 'refunded' ? 'refunded' : 'already_done'));
    if (outcome) await deps.actions.finish(row.id, ...outcome);
    deps.log.info('support action', { faxId: fax.id, actionId: row.id, kind: 'refund', outcome: outcome?.[0] ?? 'pending', code: outcome?.[1] ?? undefined });
    back(ctx, fax.id, row.id);
  };
}

/**
 * POST /{lang}/support/faxes/:id/resend: a failed fax sent again to a corrected number, free
 * of charge. The number is checked here like a sender's and kept with the action; the
 * workflow's update takes it from there.
 */
export function resendBySupport(deps: ActionDeps): Koa.Middleware {
  return async (ctx) => {
    const fax = supportFax(ctx);
    const typed = (bodyOf(ctx).number ?? '').trim();
    const form: ActionForm = { action: 'resend', reason: '', number: typed, errors: {} };
    const number = validateFaxNumber(typed, deps.allowedCountries, fax.country);
    if (!number.ok) form.errors.number = t(localeOf(ctx), `reason.${number.reason}`);
    else if (number.e164 === fax.toNumber) form.errors.number = t(localeOf(ctx), 'support.action.resend.same_number');
    const reason = reasonOf(ctx, form);
    if (!reason || !number.ok || form.errors.number) return renderFaxDetail(ctx, deps, form, 422);
    const row = await deps.actions.begin({ faxId: fax.id, actor: supportUser(ctx), kind: 'resend', reason, toNumber: number.e164, previousNumber: fax.toNumber });
    const answer = await deps.support.resend(fax.id, { actionId: row.id, by: row.actor });
    const outcome = outcomeOf(answer, () => 'resending');
    if (outcome) await deps.actions.finish(row.id, ...outcome);
    deps.log.info('support action', { faxId: fax.id, actionId: row.id, kind: 'resend', outcome: outcome?.[0] ?? 'pending', code: outcome?.[1] ?? undefined });
    back(ctx, fax.id, row.id);
  };
}
