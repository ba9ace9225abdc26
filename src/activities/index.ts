import type { DataSource } from 'typeorm';
import type { Carrier } from '../carrier/types';
import type { Config } from '../config/config';
import type { DocumentStore } from '../db/document-store';
import type { EmailOutbox } from '../db/email-outbox';
import { Faxes } from '../db/faxes';
import { Reconciliations } from '../db/reconciliations';
import { SupportActions } from '../db/support-actions';
import { isReasonCode } from '../domain/reasons';
import { FINAL_FAX_STATUSES } from '../domain/status';
import { receiptDue } from '../email/kinds';
import type { Logger } from '../log';
import type { Payments } from '../payments/types';
import { createConversionStep, type Converter } from './conversion-step';
import { createPaymentSteps } from './payment-steps';
import { createReconciliationSteps, reconciliationWindow } from './reconciliation-steps';
import { createSupportSteps } from './support-steps';
import { createTransmissionSteps } from './transmission-steps';
import type { FaxActivities, FaxPolicySnapshot, StatusUpdate } from '../workflows/contract';
import type { ReconciliationActivities } from '../workflows/reconciliation-contract';

export interface ActivityDeps {
  db: DataSource;
  store: DocumentStore;
  payments: Payments;
  carrier: Carrier;
  convert: Converter;
  config: Pick<Config, 'policy' | 'limits' | 'appSecret'> & { web: Pick<Config['web'], 'publicBaseUrl'> };
  log: Logger;
  /** Where emails to senders are queued; absent when email is not configured (no SMTP_URL). */
  outbox?: EmailOutbox;
}

/** Every activity of the fax workflow and of the daily reconciliation, bound to the clients the worker built once. */
export function createActivities(deps: ActivityDeps): FaxActivities & ReconciliationActivities {
  const { db, store, config } = deps;
  const records = new Faxes(db);
  const supportActions = new SupportActions(db);
  const policy = config.policy;

  return {
    async loadPolicy(): Promise<FaxPolicySnapshot> {
      return {
        paymentWindowMs: policy.paymentWindowMs,
        maxTransmissions: policy.maxTransmissions,
        retryDelayMs: policy.retryDelayMs,
        retentionMs: policy.retentionMs,
        statusPollMs: policy.statusPollMs,
        captureMarginMs: policy.captureMarginMs,
      };
    },

    ...createConversionStep({
      records,
      store,
      convert: deps.convert,
      prices: policy.prices,
      maxPages: config.limits.maxPages,
      maxUploadBytes: config.limits.maxUploadBytes,
    }),

    ...createPaymentSteps({ records, payments: deps.payments, publicBaseUrl: config.web.publicBaseUrl, policy, outbox: deps.outbox }),

    ...createTransmissionSteps({
      records,
      carrier: deps.carrier,
      store,
      publicBaseUrl: config.web.publicBaseUrl,
      appSecret: config.appSecret,
      statusPollMs: policy.statusPollMs,
    }),

    ...createSupportSteps({
      records,
      actions: supportActions,
      store,
      convert: deps.convert,
      maxPages: config.limits.maxPages,
      maxUploadBytes: config.limits.maxUploadBytes,
    }),

    ...createReconciliationSteps({
      records,
      reports: new Reconciliations(db),
      payments: deps.payments,
      carrier: deps.carrier,
      window: reconciliationWindow(policy.retentionMs),
      log: deps.log,
    }),

    async setStatus(faxId: string, update: StatusUpdate): Promise<void> {
      const final = FINAL_FAX_STATUSES.includes(update.status);
      const fax = await records.get(faxId);
      const receipt = receiptDue(fax, update.status) ? deps.outbox?.queue(fax, 'receipt') : undefined;
      await records.update(
        faxId,
        {
          status: update.status,
          failureReason: isReasonCode(update.failureReason) ? update.failureReason : update.status === 'delivered' ? null : fax.failureReason,
          ...(final ? { completedAt: fax.completedAt ?? new Date(), checkoutUrl: null } : {}),
          ...(update.status === 'delivered' ? { deliveredAt: fax.deliveredAt ?? new Date() } : {}),
          ...(update.purgeAt ? { purgeAt: new Date(update.purgeAt) } : {}),
          ...(update.payBy ? { paymentExpiresAt: new Date(update.payBy) } : {}),
          // The pause before the next transmission is the policy's (read again here: a status page shows it).
          nextAttemptAt: update.status === 'retrying' ? new Date(Date.now() + policy.retryDelayMs) : null,
        },
        receipt,
      );
      deps.log.info('fax status', { faxId, status: update.status, reason: update.failureReason ?? undefined });
    },

    /** The end of the retention: the documents, then every personal field of the fax and of its support actions. */
    async purgeDocuments(faxId: string): Promise<number> {
      const purged = await store.purge(faxId);
      await records.redact(faxId, supportActions.redaction(faxId));
      return purged;
    },
  };
}
