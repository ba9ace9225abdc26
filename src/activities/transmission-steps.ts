import { Context } from '@temporalio/activity';
import { ApplicationFailure, ApplicationFailureCategory } from '@temporalio/common';
import { CarrierError } from '../carrier/errors';
import { classifyFailure, type ClassifiedFailure } from '../carrier/failure';
import { isFinalCarrierStatus, isStaleTransition } from '../carrier/transitions';
import { CARRIER_STATUSES, type Carrier, type CarrierFax, type CarrierStatus } from '../carrier/types';
import type { DocumentStore } from '../db/document-store';
import type { Faxes } from '../db/faxes';
import type { AttemptStatus } from '../domain/status';
import { signMediaPath } from '../web/media-url';
import type { CarrierUpdate, TransmissionSnapshot } from '../workflows/contract';
import { whileBeating } from './heartbeats';

export interface TransmissionStepDeps {
  records: Faxes;
  carrier: Carrier;
  store: DocumentStore;
  publicBaseUrl: string;
  appSecret: string;
  statusPollMs: number;
  /** How long a media link stays valid: long enough for the carrier's queue. */
  mediaLinkTtlMs?: number;
}

interface Report {
  carrierFaxId: string;
  status: CarrierStatus;
  failureReason: string | null;
  pagesSent: number | null;
  callDurationSecs: number | null;
}

/** Our own failure reason for a transmission the carrier answers 404 for (a retryable carrier error). */
const UNKNOWN_TO_CARRIER = 'unknown_to_carrier';

/** A watch's look that found the transmission still going: retried after STATUS_POLL_INTERVAL. */
export const TRANSMISSION_IN_PROGRESS = 'transmission_in_progress';

const ATTEMPT_STATUS: Record<CarrierStatus, AttemptStatus> = {
  queued: 'queued',
  'media.processed': 'queued',
  originated: 'sending',
  sending: 'sending',
  delivered: 'delivered',
  failed: 'failed',
};

/** Carrier failure reasons that mean a cancel request took effect. */
const CANCELLED: ReadonlySet<string> = new Set(['sender_canceled', 'user_canceled']);

function classify(report: Report): ClassifiedFailure | null {
  const final = isFinalCarrierStatus(report.status);
  return final && report.status !== 'delivered' ? classifyFailure(report.failureReason, report.pagesSent) : null;
}

function snapshotOf(report: Report): TransmissionSnapshot {
  const final = isFinalCarrierStatus(report.status);
  const delivered = report.status === 'delivered';
  const failure = classify(report);
  return {
    carrierFaxId: report.carrierFaxId,
    status: report.status,
    final,
    delivered,
    retryable: failure?.class === 'retryable',
    reason: failure?.reason ?? null,
    pagesSent: report.pagesSent,
  };
}

export function createTransmissionSteps(deps: TransmissionStepDeps) {
  const { records, carrier, store } = deps;

  /**
   * Writes a carrier report to the attempt, unless it is stale (a final status never moves
   * back), and returns the attempt's classified state after the write.
   */
  async function record(faxId: string, attempt: number, report: Report): Promise<TransmissionSnapshot> {
    const snapshot = snapshotOf(report);
    const failure = classify(report);
    const written = await records.advanceAttempt(
      faxId,
      attempt,
      CARRIER_STATUSES.filter((s) => !isStaleTransition(s, report.status)),
      {
        carrierStatus: report.status,
        status: ATTEMPT_STATUS[report.status],
        carrierReason: report.failureReason,
        reason: failure?.reason ?? null,
        retryable: failure ? failure.class === 'retryable' : null,
        pagesSent: report.pagesSent,
        durationSecs: report.callDurationSecs,
        completedAt: snapshot.final ? new Date() : null,
      },
    );
    if (written) return snapshot;
    // Stale: what is recorded stands.
    const row = await records.attempt(faxId, attempt);
    if (!row?.carrierStatus) return snapshot;
    return snapshotOf({
      carrierFaxId: report.carrierFaxId,
      status: row.carrierStatus as CarrierStatus,
      failureReason: row.carrierReason,
      pagesSent: row.pagesSent,
      callDurationSecs: row.durationSecs,
    });
  }

  /** Hands an attempt to the carrier (sendOnce reconciles with what the carrier has before it submits again). */
  async function submit(faxId: string, attempt: number): Promise<{ carrierFaxId: string }> {
    const fax = await records.get(faxId);
    const pdf = await store.find(faxId, 'fax_pdf');
    // A redacted fax has no number and no documents left: both go at retention's end.
    if (!pdf || !fax.toNumber) throw ApplicationFailure.create({ type: 'media_unavailable', message: `fax ${faxId} has no converted PDF`, nonRetryable: true });
    const ttl = deps.mediaLinkTtlMs ?? 6 * 3_600_000;
    const mediaUrl = deps.publicBaseUrl + signMediaPath(pdf.id, new Date(Date.now() + ttl), deps.appSecret);
    let sent;
    try {
      sent = await carrier.sendOnce({ faxId, attempt, to: fax.toNumber, mediaUrl }, records);
    } catch (err) {
      if (err instanceof CarrierError && err.refusesDestination) {
        await records.submitting(faxId, attempt, new Date());
        await records.updateAttempt(faxId, attempt, { status: 'failed', reason: 'destination_not_allowed', retryable: false, completedAt: new Date() });
        throw ApplicationFailure.create({ type: 'destination_not_allowed', message: err.message, nonRetryable: true });
      }
      if (err instanceof CarrierError && err.kind === 'invalid_request') {
        // Our own request is wrong (caller id, connection id, media link): not the sender's
        // fault, so no failed fax for it. Retried until an operator fixes the configuration,
        // as for a wrong key; the message names the field, never the number.
        Context.current().log.error('the carrier refuses our fax request: check the carrier configuration', { faxId, attempt, error: err.message, carrierCode: err.carrierCode });
        throw new Error(`${err.message}: check the carrier configuration`);
      }
      throw err;
    }
    await records.update(faxId, { status: 'sending', attempts: attempt, carrierFaxId: sent.id });
    await record(faxId, attempt, { carrierFaxId: sent.id, ...sent });
    return { carrierFaxId: sent.id };
  }

  return {
    async submitTransmission(faxId: string, attempt: number): Promise<{ carrierFaxId: string }> {
      return whileBeating(() => submit(faxId, attempt));
    },

    /**
     * One look at the transmission: the backstop for webhooks that do not come. A final status is
     * the result. Otherwise this attempt ends as a benign failure (logged at debug level, not
     * counted as a failure) that asks Temporal to look again after STATUS_POLL_INTERVAL. Between
     * looks nothing runs and no worker slot is held, so a cancel (a webhook told the outcome
     * first) ends the watch at once, and a worker told to stop has no watch to wait for.
     */
    async watchTransmission(faxId: string, attempt: number, carrierFaxId: string): Promise<TransmissionSnapshot> {
      let fax;
      try {
        fax = await carrier.get(carrierFaxId);
      } catch (err) {
        if (!(err instanceof CarrierError && err.kind === 'not_found')) throw err;
        // The carrier does not know this transmission: nothing is being sent, so the attempt
        // has failed (worth another transmission) instead of being polled until it times out.
        return record(faxId, attempt, { carrierFaxId, status: 'failed', failureReason: UNKNOWN_TO_CARRIER, pagesSent: null, callDurationSecs: null });
      }
      const snapshot = await record(faxId, attempt, { carrierFaxId, ...fax });
      if (snapshot.final) return snapshot;
      throw ApplicationFailure.create({
        type: TRANSMISSION_IN_PROGRESS,
        message: `transmission ${attempt} is ${snapshot.status}: the carrier is asked again in ${Math.round(deps.statusPollMs / 1000)} s`,
        nextRetryDelay: deps.statusPollMs,
        category: ApplicationFailureCategory.BENIGN,
      });
    },

    async recordCarrierUpdate(faxId: string, attempt: number, update: CarrierUpdate): Promise<TransmissionSnapshot> {
      return record(faxId, attempt, update);
    },

    async cancelTransmission(faxId: string, carrierFaxId: string): Promise<void> {
      let fax: CarrierFax | null = null;
      try {
        fax = await carrier.cancel(carrierFaxId);
      } catch (err) {
        // Unknown to the carrier: nothing is being transmitted.
        if (!(err instanceof CarrierError && err.kind === 'not_found')) throw err;
      }
      // It ended on its own before the cancel reached it: that outcome is what happened.
      const row = fax && isFinalCarrierStatus(fax.status) && !CANCELLED.has(fax.failureReason ?? '') ? await records.attemptByCarrierId(faxId, carrierFaxId) : null;
      if (fax && row) await record(faxId, row.number, { carrierFaxId, ...fax });
      else await records.cancelOpenAttempt(faxId, carrierFaxId);
    },
  };
}
