import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { ApplicationFailure, ApplicationFailureCategory } from '@temporalio/common';
import { TRANSMISSION_IN_PROGRESS } from '../../src/activities/transmission-steps';
import type { CarrierUpdate, FaxActivities, TransmissionSnapshot } from '../../src/workflows/contract';
import { createCarrier } from '../../src/carrier/telnyx-carrier';
import type { Carrier } from '../../src/carrier/types';
import { FaxAttempt } from '../../src/db/entities/fax-attempt';
import { startCarrierTwin, TEST_NUMBERS, type CarrierTwin } from '../../src/twins/carrier';
import { makePdf } from '../helpers/carrier';
import { applicationFailure, DELIVERABLE, insertFax, readFax, run, startHarness, type Harness } from './harness';

let h: Harness;
let pdf: Buffer;
/** A twin slow enough (seconds per page) that a transmission is still under way when cancelled. */
let slowTwin: CarrierTwin;
let slowCarrier: Carrier;
let slow: FaxActivities;

beforeAll(async () => {
  h = await startHarness({ msPerPage: 30 });
  pdf = await makePdf(2);
  slowTwin = await startCarrierTwin({ port: 0, msPerPage: 5000 });
  slowCarrier = h.carrierFor(slowTwin);
  slow = h.activitiesWith({ carrier: slowCarrier });
});
afterAll(async () => {
  await slowTwin.stop();
  await h.stop();
});

/** A paid fax with its converted PDF stored, ready to go to `to`. */
async function readyFax(to = DELIVERABLE): Promise<string> {
  const fax = await insertFax(h.db, { toNumber: to, status: 'queued', pages: 2, priceAmount: 257, currency: 'eur', paymentState: 'authorized' });
  await h.store.put({ faxId: fax.id, kind: 'fax_pdf', contentType: 'application/pdf', data: pdf });
  return fax.id;
}

function attemptRow(faxId: string, number = 1): Promise<FaxAttempt> {
  return h.db.getRepository(FaxAttempt).findOneByOrFail({ faxId, number });
}

async function carrierFinal(carrier: Carrier, carrierFaxId: string): Promise<void> {
  const until = Date.now() + 10_000;
  while (!['delivered', 'failed'].includes((await carrier.get(carrierFaxId)).status)) {
    if (Date.now() > until) throw new Error(`carrier fax ${carrierFaxId} did not finish`);
    await delay(10);
  }
}

function update(carrierFaxId: string, status: CarrierUpdate['status'], extra: Partial<CarrierUpdate> = {}): CarrierUpdate {
  return { eventId: randomUUID(), carrierFaxId, status, failureReason: null, pagesSent: null, callDurationSecs: null, occurredAt: new Date().toISOString(), ...extra };
}

/** An attempt the carrier accepted, without a real transmission behind it (for webhook reports). */
async function recordedAttempt(): Promise<{ faxId: string; carrierFaxId: string }> {
  const faxId = await readyFax();
  const carrierFaxId = randomUUID();
  await h.db.query(`INSERT INTO fax_attempt (fax_id, number, status, carrier_fax_id, carrier_status, submitted_at) VALUES ($1, 1, 'queued', $2, 'queued', now())`, [
    faxId,
    carrierFaxId,
  ]);
  return { faxId, carrierFaxId };
}

describe('submitTransmission', () => {
  test('submits the fax once: the attempt is queued with the carrier id, the fax is sending; twice is one transmission', async () => {
    const faxId = await readyFax();
    const { carrierFaxId } = await run(h.activities.submitTransmission, faxId, 1);
    const row = await attemptRow(faxId);
    expect(row).toMatchObject({ status: 'queued', carrierFaxId, carrierStatus: 'queued', reason: null });
    expect(row.submittedAt).toBeInstanceOf(Date);
    expect(await readFax(h.db, faxId)).toMatchObject({ status: 'sending', attempts: 1, carrierFaxId });

    expect(await run(h.activities.submitTransmission, faxId, 1)).toEqual({ carrierFaxId });
    expect(h.carrierTwin.transmissions(faxId, 1)).toBe(1);
    expect(h.carrierTwin.transmissions(faxId)).toBe(1);

    // The carrier fetched the stored PDF through the signed media link and sent its pages.
    await carrierFinal(h.carrier, carrierFaxId);
    expect(await h.carrier.get(carrierFaxId)).toMatchObject({ status: 'delivered', pagesSent: 2 });
  });

  test('after a crash between the carrier accepting and the id being recorded, the retry finds it: still one transmission', async () => {
    const faxId = await readyFax();
    const { carrierFaxId } = await run(h.activities.submitTransmission, faxId, 1);
    await h.db.query(`UPDATE fax_attempt SET carrier_fax_id = NULL, carrier_status = NULL, status = 'submitting' WHERE fax_id = $1`, [faxId]);

    expect(await run(h.activities.submitTransmission, faxId, 1)).toEqual({ carrierFaxId });
    expect(h.carrierTwin.transmissions(faxId, 1)).toBe(1);
    expect((await attemptRow(faxId)).carrierFaxId).toBe(carrierFaxId);
  });

  test('another attempt is another transmission, with its own row', async () => {
    const faxId = await readyFax();
    const first = await run(h.activities.submitTransmission, faxId, 1);
    const second = await run(h.activities.submitTransmission, faxId, 2);
    expect(second.carrierFaxId).not.toBe(first.carrierFaxId);
    expect(h.carrierTwin.transmissions(faxId, 2)).toBe(1);
    expect(h.carrierTwin.transmissions(faxId)).toBe(2);
    expect((await attemptRow(faxId, 2)).carrierFaxId).toBe(second.carrierFaxId);
    expect(await readFax(h.db, faxId)).toMatchObject({ attempts: 2, carrierFaxId: second.carrierFaxId });
  });

  test('a destination the carrier refuses fails for good (destination_not_allowed), recorded on the attempt', async () => {
    const faxId = await readyFax('0301234567');
    const failure = await applicationFailure(run(h.activities.submitTransmission, faxId, 1));
    expect(failure).toMatchObject({ type: 'destination_not_allowed', nonRetryable: true });
    expect(await attemptRow(faxId)).toMatchObject({ status: 'failed', reason: 'destination_not_allowed', retryable: false, carrierFaxId: null });
    expect(h.carrierTwin.transmissions(faxId)).toBe(0);
  });

  test('a request the carrier refuses for our own settings (caller id) is retried, not blamed on the destination', async () => {
    const misconfigured = h.activitiesWith({
      carrier: createCarrier(
        { apiKey: 'KEY_TEST_ACTIVITIES', connectionId: 'sandbox-connection', publicKey: h.carrierTwin.publicKey, fromNumber: '5005550006', apiBase: h.carrierTwin.url },
        { timeoutMs: 5000, maxRetries: 0 },
      ),
    });
    const faxId = await readyFax();
    const failure = await run(misconfigured.submitTransmission, faxId, 1).then(
      () => null,
      (err: unknown) => err,
    );
    // A plain error: Temporal retries it (an ApplicationFailure would carry a reason to the sender).
    expect(failure).toBeInstanceOf(Error);
    expect(failure).not.toBeInstanceOf(ApplicationFailure);
    expect((failure as Error).message).toMatch(/\(from\): check the carrier configuration$/);
    expect((failure as Error).message).not.toContain('5005550006');
    expect(h.carrierTwin.transmissions(faxId)).toBe(0);
    // Nothing was recorded against the fax: once the setting is fixed, the retry sends it.
    expect(await h.db.query('SELECT 1 FROM fax_attempt WHERE fax_id = $1 AND reason IS NOT NULL', [faxId])).toHaveLength(0);
    expect(await run(h.activities.submitTransmission, faxId, 1)).toMatchObject({ carrierFaxId: expect.any(String) as string });
    expect(h.carrierTwin.transmissions(faxId, 1)).toBe(1);
  });

  test('a fax without its converted PDF fails for good (media_unavailable) before calling the carrier', async () => {
    const fax = await insertFax(h.db, { status: 'queued' });
    const failure = await applicationFailure(run(h.activities.submitTransmission, fax.id, 1));
    expect(failure).toMatchObject({ type: 'media_unavailable', nonRetryable: true });
    expect(h.carrierTwin.transmissions(fax.id)).toBe(0);
  });
});

describe('watchTransmission', () => {
  /**
   * Submits, then watches as Temporal runs the watch: one look per attempt, the next after the
   * delay the attempt asked for, until one returns. The looks that found it going are kept.
   */
  async function watch(to: string): Promise<{ faxId: string; carrierFaxId: string; snapshot: TransmissionSnapshot; goingOn: ApplicationFailure[] }> {
    const faxId = await readyFax(to);
    const { carrierFaxId } = await run(h.activities.submitTransmission, faxId, 1);
    const goingOn: ApplicationFailure[] = [];
    for (;;) {
      try {
        return { faxId, carrierFaxId, snapshot: await run(h.activities.watchTransmission, faxId, 1, carrierFaxId), goingOn };
      } catch (err) {
        if (!(err instanceof ApplicationFailure) || err.type !== TRANSMISSION_IN_PROGRESS) throw err;
        goingOn.push(err);
        await delay(Number(err.nextRetryDelay));
      }
    }
  }

  test('looks until delivered, each look that finds it going asking to be retried after the poll interval, and records the outcome on the attempt', async () => {
    const { faxId, carrierFaxId, snapshot, goingOn } = await watch(DELIVERABLE);
    expect(snapshot).toEqual({ carrierFaxId, status: 'delivered', final: true, delivered: true, retryable: false, reason: null, pagesSent: 2 });
    expect(goingOn.length).toBeGreaterThanOrEqual(1);
    for (const look of goingOn) {
      // Benign: logged at debug level and not counted as a failure; retried after STATUS_POLL_INTERVAL (20 ms here), not by the backoff.
      expect(look).toMatchObject({ type: TRANSMISSION_IN_PROGRESS, category: ApplicationFailureCategory.BENIGN, nonRetryable: false, nextRetryDelay: 20 });
      expect(look.message).toMatch(/^transmission 1 is (queued|media\.processed|originated|sending): the carrier is asked again in 0 s$/);
    }
    const row = await attemptRow(faxId);
    expect(row).toMatchObject({ status: 'delivered', carrierStatus: 'delivered', pagesSent: 2, durationSecs: 68, reason: null, retryable: null });
    expect(row.completedAt).toBeInstanceOf(Date);
  });

  test('a busy line is a failure worth retrying (busy)', async () => {
    const { faxId, snapshot } = await watch(TEST_NUMBERS.busyTwice);
    expect(snapshot).toMatchObject({ status: 'failed', final: true, delivered: false, retryable: true, reason: 'busy' });
    expect(await attemptRow(faxId)).toMatchObject({ status: 'failed', reason: 'busy', carrierReason: 'user_busy', retryable: true });
  });

  test('a voice line is final: not_a_fax_machine', async () => {
    const { faxId, snapshot } = await watch(TEST_NUMBERS.voiceLine);
    expect(snapshot).toMatchObject({ status: 'failed', final: true, delivered: false, retryable: false, reason: 'not_a_fax_machine' });
    expect(await attemptRow(faxId)).toMatchObject({ status: 'failed', reason: 'not_a_fax_machine', retryable: false });
  });

  test('a call dropped after page one is partially_sent, worth retrying', async () => {
    const { snapshot } = await watch(TEST_NUMBERS.dropsAfterPageOne);
    expect(snapshot).toMatchObject({ status: 'failed', final: true, retryable: true, reason: 'partially_sent', pagesSent: 1 });
  });

  test('a transmission the carrier does not know fails at once as a retryable carrier error, not polled until timeout', async () => {
    const { faxId, carrierFaxId } = await recordedAttempt();
    const snapshot = await run(h.activities.watchTransmission, faxId, 1, carrierFaxId);
    expect(snapshot).toMatchObject({ carrierFaxId, status: 'failed', final: true, delivered: false, retryable: true, reason: 'carrier_error' });
    expect(await attemptRow(faxId)).toMatchObject({ status: 'failed', reason: 'carrier_error', carrierReason: 'unknown_to_carrier', retryable: true });
  });

  test('a look at a slow transmission comes back at once, asking for the next after a whole poll interval: nothing waits in between', async () => {
    // Polls a minute apart, on the slow twin: the fax is still going when the carrier is asked.
    const patient = h.activitiesWith({ carrier: slowCarrier, policy: { statusPollMs: 60_000 } });
    const faxId = await readyFax();
    const { carrierFaxId } = await run(patient.submitTransmission, faxId, 1);
    const started = Date.now();
    // Not a reason code a sender sees: retried without end, the workflow never gets it.
    const look = await run(patient.watchTransmission, faxId, 1, carrierFaxId).then(
      () => null,
      (err: unknown) => err,
    );
    if (!(look instanceof ApplicationFailure)) throw new Error(`the look did not ask to be retried: ${String(look)}`);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(look).toMatchObject({ type: TRANSMISSION_IN_PROGRESS, category: ApplicationFailureCategory.BENIGN, nextRetryDelay: 60_000 });
    expect(look.message).toContain('the carrier is asked again in 60 s');
    expect((await attemptRow(faxId)).status).not.toBe('delivered');
  });
});

describe('recordCarrierUpdate', () => {
  test('moves forward only: a final status never moves back, late and repeated reports change nothing', async () => {
    const { faxId, carrierFaxId } = await recordedAttempt();
    expect(await run(h.activities.recordCarrierUpdate, faxId, 1, update(carrierFaxId, 'sending'))).toMatchObject({ status: 'sending', final: false });
    expect(await run(h.activities.recordCarrierUpdate, faxId, 1, update(carrierFaxId, 'media.processed'))).toMatchObject({ status: 'sending', final: false });
    expect((await attemptRow(faxId)).status).toBe('sending');

    const delivered = await run(h.activities.recordCarrierUpdate, faxId, 1, update(carrierFaxId, 'delivered', { pagesSent: 2, callDurationSecs: 68 }));
    expect(delivered).toEqual({ carrierFaxId, status: 'delivered', final: true, delivered: true, retryable: false, reason: null, pagesSent: 2 });
    for (const late of [
      update(carrierFaxId, 'sending'),
      update(carrierFaxId, 'failed', { failureReason: 'receiver_call_dropped', pagesSent: 1 }),
      update(carrierFaxId, 'delivered', { pagesSent: 9 }),
    ]) {
      expect(await run(h.activities.recordCarrierUpdate, faxId, 1, late)).toEqual(delivered);
    }
    expect(await attemptRow(faxId)).toMatchObject({ status: 'delivered', carrierStatus: 'delivered', pagesSent: 2, durationSecs: 68, reason: null });
  });

  test('classifies failures: retryable or final, with the reason code', async () => {
    const cases: Array<[string, number | null, { retryable: boolean; reason: string }]> = [
      ['receiver_no_response', 0, { retryable: true, reason: 'no_answer' }],
      ['receiver_call_dropped', 1, { retryable: true, reason: 'partially_sent' }],
      ['receiver_unallocated_number', 0, { retryable: false, reason: 'number_unallocated' }],
      ['receiver_incompatible_destination', 0, { retryable: false, reason: 'not_a_fax_machine' }],
    ];
    for (const [failureReason, pagesSent, expected] of cases) {
      const { faxId, carrierFaxId } = await recordedAttempt();
      const snapshot = await run(h.activities.recordCarrierUpdate, faxId, 1, update(carrierFaxId, 'failed', { failureReason, pagesSent }));
      expect(snapshot).toMatchObject({ final: true, delivered: false, ...expected });
      expect(await attemptRow(faxId)).toMatchObject({ status: 'failed', carrierReason: failureReason, ...expected });
    }
  });

  test('reports racing each other (webhook and poll at once) still never move a final status back', async () => {
    for (let round = 0; round < 10; round++) {
      const { faxId, carrierFaxId } = await recordedAttempt();
      const reports = [update(carrierFaxId, 'delivered', { pagesSent: 2 }), ...Array.from({ length: 4 }, () => update(carrierFaxId, 'sending'))];
      await Promise.all(reports.map((r) => run(h.activities.recordCarrierUpdate, faxId, 1, r)));
      expect(await attemptRow(faxId)).toMatchObject({ status: 'delivered', carrierStatus: 'delivered', pagesSent: 2 });
    }
  });
});

describe('cancelTransmission', () => {
  test('cancels a transmission under way; the attempt is cancelled; twice is harmless', async () => {
    const faxId = await readyFax();
    const { carrierFaxId } = await run(slow.submitTransmission, faxId, 1);
    await run(slow.cancelTransmission, faxId, carrierFaxId);
    expect(await slowCarrier.get(carrierFaxId)).toMatchObject({ status: 'failed', failureReason: 'sender_canceled' });
    const row = await attemptRow(faxId);
    expect(row.status).toBe('cancelled');
    expect(row.completedAt).toBeInstanceOf(Date);

    await run(slow.cancelTransmission, faxId, carrierFaxId);
    expect((await attemptRow(faxId)).status).toBe('cancelled');
    expect(slowTwin.transmissions(faxId)).toBe(1);
  });

  test('a transmission unknown to the carrier has nothing to cancel', async () => {
    const { faxId } = await recordedAttempt();
    await expect(run(h.activities.cancelTransmission, faxId, randomUUID())).resolves.toBeUndefined();
    expect((await attemptRow(faxId)).status).toBe('queued');
  });

  test('a transmission that was delivered before the cancel reached the carrier is recorded as delivered, not cancelled', async () => {
    const faxId = await readyFax();
    const { carrierFaxId } = await run(h.activities.submitTransmission, faxId, 1);
    await carrierFinal(h.carrier, carrierFaxId);
    await run(h.activities.cancelTransmission, faxId, carrierFaxId);
    expect(await attemptRow(faxId)).toMatchObject({ status: 'delivered', carrierStatus: 'delivered', pagesSent: 2 });
  });
});
