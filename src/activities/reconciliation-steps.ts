import { Context } from '@temporalio/activity';
import { CarrierError } from '../carrier/errors';
import type { Carrier } from '../carrier/types';
import type { Fax } from '../db/entities/fax';
import type { Faxes } from '../db/faxes';
import type { Reconciliations, WindowRule } from '../db/reconciliations';
import { reconcileFax, type CarrierFacts, type Finding, type IntentFacts } from '../domain/reconciliation';
import type { Logger } from '../log';
import { PaymentError, type Payments } from '../payments/types';
import type { ReconciliationActivities, ReconciliationOpened, ReconciliationPage, ReconciliationSummary } from '../workflows/reconciliation-contract';

export interface ReconciliationDeps {
  records: Faxes;
  reports: Reconciliations;
  payments: Payments;
  carrier: Carrier;
  window: WindowRule;
  /** Faxes per page: each costs a call to Stripe and one to the carrier per transmission. */
  pageSize?: number;
  log: Logger;
}

/** An hour's overlap with the last run's window, and changes younger than five minutes left to the next run. */
export function reconciliationWindow(retentionMs: number): WindowRule {
  return { overlapMs: 3600_000, quietMs: 5 * 60_000, firstRunMs: retentionMs };
}

function heartbeat(details: unknown): void {
  try {
    Context.current().heartbeat(details);
  } catch {
    // Called outside an activity (a script or a test calling the step directly): nothing to tell.
  }
}

/** The payment intent as Stripe tells it; null when Stripe does not know the id. */
async function readIntent(payments: Payments, id: string): Promise<IntentFacts | null> {
  try {
    const pi = await payments.retrievePaymentIntent(id);
    return { id: pi.id, status: pi.status, amount: pi.amount, amountReceived: pi.amountReceived, amountRefunded: pi.amountRefunded ?? 0, currency: pi.currency, faxId: pi.faxId };
  } catch (err) {
    if (err instanceof PaymentError && err.kind === 'not_found') return null;
    throw err;
  }
}

/** The carrier's fax; null when the carrier does not know the id. */
async function readCarrierFax(carrier: Carrier, id: string): Promise<CarrierFacts | null> {
  try {
    const fax = await carrier.get(id);
    return { id: fax.id, status: fax.status, failureReason: fax.failureReason };
  } catch (err) {
    if (err instanceof CarrierError && err.kind === 'not_found') return null;
    throw err;
  }
}

/** Log fields of a finding: ids, codes, states and amounts, never a number or an email. */
function findingFields(reportId: string, f: Finding): Record<string, unknown> {
  const theirs =
    f.theirs.party === 'stripe'
      ? {
          paymentIntentId: f.theirs.paymentIntentId,
          stripeStatus: f.theirs.found ? f.theirs.status : 'not_found',
          stripeReceived: f.theirs.received,
          stripeRefunded: f.theirs.refunded,
        }
      : { carrierFaxId: f.theirs.carrierFaxId, carrierStatus: f.theirs.found ? (f.theirs.status ?? null) : 'not_found' };
  return {
    reconciliationId: reportId,
    faxId: f.faxId,
    code: f.code,
    party: f.theirs.party,
    ...(f.attempt ? { attempt: f.attempt } : {}),
    status: f.ours.status,
    paymentState: f.ours.paymentState,
    ...theirs,
  };
}

/**
 * The daily reconciliation's activities: open the run's report, compare a page of final
 * faxes with Stripe (the payment intent, through the payments adapter) and the carrier (each
 * transmission, through the carrier adapter), close the report. Reads only: nothing is
 * captured, released, refunded or cancelled here — that is support's decision.
 */
export function createReconciliationSteps(deps: ReconciliationDeps): ReconciliationActivities {
  const { records, reports, log } = deps;
  const pageSize = deps.pageSize ?? 50;

  async function evidenceOf(fax: Fax): Promise<Finding[]> {
    const attempts = await records.attempts(fax.id);
    const intent = fax.paymentIntentId ? await readIntent(deps.payments, fax.paymentIntentId) : undefined;
    const carrier = new Map<string, CarrierFacts | null>();
    for (const a of attempts) {
      if (!a.carrierFaxId || carrier.has(a.carrierFaxId)) continue;
      // Each provider call may take its whole timeout and retries: the worker hears of progress after each.
      heartbeat({ faxId: fax.id, attempt: a.number });
      carrier.set(a.carrierFaxId, await readCarrierFax(deps.carrier, a.carrierFaxId));
    }
    return reconcileFax({
      fax,
      attempts: attempts.map((a) => ({ number: a.number, status: a.status, carrierStatus: a.carrierStatus, carrierFaxId: a.carrierFaxId })),
      intent,
      carrier,
    });
  }

  return {
    async openReconciliation(workflowId: string): Promise<ReconciliationOpened> {
      const report = await reports.open(workflowId, deps.window);
      log.info('reconciliation started', { reconciliationId: report.id, workflowId, windowFrom: report.windowFrom.toISOString(), windowTo: report.windowTo.toISOString() });
      return { reportId: report.id, windowFrom: report.windowFrom.toISOString(), windowTo: report.windowTo.toISOString() };
    },

    async reconcileFaxes(reportId: string, after: string | null): Promise<ReconciliationPage> {
      const report = await reports.get(reportId);
      if (!report) throw new Error(`reconciliation ${reportId} has no record`);
      const faxes = await records.finalChangedBetween(report.windowFrom, report.windowTo, after, pageSize);
      const findings: Finding[] = [];
      for (const fax of faxes) {
        findings.push(...(await evidenceOf(fax)));
        heartbeat({ faxId: fax.id });
      }
      // Logged once: a retried page records (and so logs) only what it had not recorded before.
      for (const f of await reports.addFindings(reportId, findings)) log.warn('reconciliation finding', findingFields(reportId, f));
      return { checked: faxes.length, findings: findings.length, next: faxes.length === pageSize ? faxes[faxes.length - 1].id : null };
    },

    async closeReconciliation(reportId: string, faxesChecked: number): Promise<ReconciliationSummary> {
      const report = await reports.close(reportId, faxesChecked);
      const summary: ReconciliationSummary = {
        reportId: report.id,
        windowFrom: report.windowFrom.toISOString(),
        windowTo: report.windowTo.toISOString(),
        faxesChecked: report.faxesChecked,
        findings: report.findings,
      };
      log.info('reconciliation finished', {
        reconciliationId: report.id,
        windowFrom: summary.windowFrom,
        windowTo: summary.windowTo,
        faxesChecked: summary.faxesChecked,
        findings: summary.findings,
      });
      return summary;
    },
  };
}
