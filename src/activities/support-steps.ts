import { ApplicationFailure } from '@temporalio/common';
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import type { DocumentStore } from '../db/document-store';
import type { Faxes } from '../db/faxes';
import type { SupportActions } from '../db/support-actions';
import { paperFor } from '../domain/pricing';
import type { SupportRefusal } from '../workflows/contract';
import { storePages, type Converter } from './conversion-step';

export interface SupportStepDeps {
  records: Faxes;
  actions: SupportActions;
  store: DocumentStore;
  convert: Converter;
  maxPages: number;
  maxUploadBytes: number;
}

function refused(type: SupportRefusal, message: string): ApplicationFailure {
  return ApplicationFailure.create({ type, message, nonRetryable: true });
}

/** The steps of support's actions that are not payment steps (a refund is `refundPayment`). */
export function createSupportSteps({ records, actions, store, convert, maxPages, maxUploadBytes }: SupportStepDeps) {
  return {
    /**
     * Puts the corrected number of a resend on the fax, from its support action (the number
     * never travels through the workflow), and queues the fax again. A cover page shows the
     * number, so its pages are rendered again with the corrected one; the page count stays.
     * Run again after a crash, it finds the number on the fax and does not render twice.
     */
    async prepareResend(faxId: string, actionId: string): Promise<{ country: string }> {
      const action = await actions.get(actionId);
      if (!action || action.faxId !== faxId || action.kind !== 'resend' || !action.toNumber) {
        throw refused('not_resendable', `support action ${actionId} is no resend of fax ${faxId}`);
      }
      const country = parsePhoneNumberFromString(action.toNumber)?.country;
      if (!country) throw refused('not_resendable', `the corrected number of action ${actionId} names no country`);
      const fax = await records.get(faxId);
      if (fax.cover && fax.toNumber !== action.toNumber) {
        const original = await store.find(faxId, 'original');
        if (!original) throw refused('documents_purged', `fax ${faxId} has no document any more`);
        const result = await convert(original.data, {
          paper: fax.paper ?? paperFor(country),
          cover: { ...fax.cover, recipientNumber: action.toNumber, locale: fax.locale },
          limits: { maxPages, maxBytes: maxUploadBytes },
        });
        await storePages(store, faxId, result);
      }
      await records.update(faxId, {
        toNumber: action.toNumber,
        country,
        status: 'queued',
        failureReason: null,
        completedAt: null,
        purgeAt: null,
        nextAttemptAt: null,
      });
      return { country };
    },
  };
}
