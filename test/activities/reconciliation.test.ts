import { createReconciliationSteps, reconciliationWindow } from '../../src/activities/reconciliation-steps';
import { Faxes } from '../../src/db/faxes';
import { Reconciliations } from '../../src/db/reconciliations';
import type { Fax } from '../../src/db/entities/fax';
import type { FindingCode } from '../../src/domain/reconciliation';
import { createLogger } from '../../src/log';
import type { ReconciliationActivities, ReconciliationPage } from '../../src/workflows/reconciliation-contract';
import { startMediaServer, waitForFinal, type MediaServer } from '../helpers/carrier';
import { CheckoutBrowser, CARDS } from '../helpers/stripe';
import { DELIVERABLE, insertFax, run, startHarness, type Harness } from './harness';

/**
 * The reconciliation's activities against the real Stripe and carrier twins (through the real
 * adapters) and PostgreSQL: faxes put deliberately out of step with the providers are found,
 * each with both sides' words; faxes in step are not.
 */
let h: Harness;
let media: MediaServer;
let steps: ReconciliationActivities;
let reports: Reconciliations;
const lines: Array<Record<string, unknown>> = [];
const VOICE_LINE = '+493012340003';

beforeAll(async () => {
  h = await startHarness({ msPerPage: 5 });
  media = await startMediaServer();
  reports = new Reconciliations(h.db);
  steps = createReconciliationSteps({
    records: new Faxes(h.db),
    reports,
    payments: h.payments,
    carrier: h.carrier,
    window: reconciliationWindow(7 * 24 * 3600_000),
    pageSize: 3,
    log: createLogger('test', 'info', (line) => lines.push(JSON.parse(line) as Record<string, unknown>)),
  });
});
afterAll(async () => {
  await media.close();
  await h.stop();
});

/** A quoted fax whose sender paid on the twin's checkout page: a card hold of 2.57 EUR. */
async function authorized(): Promise<{ faxId: string; paymentIntentId: string }> {
  const fax = await insertFax(h.db, { pages: 2, priceAmount: 257, currency: 'eur', paper: 'a4' });
  const opened = await run(h.activities.openCheckout, fax.id, Date.now() + 45 * 60_000);
  const page = await new CheckoutBrowser().pay(
    (await h.db.query<Array<{ checkout_url: string }>>('SELECT checkout_url FROM fax WHERE id = $1', [fax.id]))[0].checkout_url,
    CARDS.visa,
  );
  expect(page.status).toBe(303);
  const session = await h.payments.retrieveCheckoutSession(opened.checkoutSessionId);
  await run(h.activities.confirmPayment, fax.id, session.paymentIntentId!);
  return { faxId: fax.id, paymentIntentId: session.paymentIntentId! };
}

/** One transmission of the fax at the carrier twin, to `to`, followed to its end; its attempt row as the carrier left it. */
async function transmitted(faxId: string, to: string, attempt = 1): Promise<string> {
  const sent = await h.carrier.sendOnce({ faxId, attempt, to, mediaUrl: media.url('/doc-1.pdf') }, new Faxes(h.db));
  const final = await waitForFinal(h.carrier, sent.id);
  await h.db.query('UPDATE fax_attempt SET status = $3, carrier_status = $3 WHERE fax_id = $1 AND number = $2', [faxId, attempt, final.status]);
  return sent.id;
}

/** Sets the fax as Durafax would record it, changed long enough ago to be in the next run's window. */
async function recordAs(faxId: string, changes: Partial<Record<'status' | 'payment_state' | 'amount_captured' | 'amount_refunded', string | number>>, extra = ''): Promise<void> {
  const sets = Object.entries(changes).map(([k], i) => `${k} = $${i + 2}`);
  await h.db.query(`UPDATE fax SET ${[...sets, "updated_at = now() - interval '10 minutes'", ...(extra ? [extra] : [])].join(', ')} WHERE id = $1`, [
    faxId,
    ...Object.values(changes),
  ]);
}

interface Case {
  faxId: string;
  expected: FindingCode[];
}

async function runReconciliation(workflowId: string): Promise<{ reportId: string; checked: number; pages: number }> {
  const opened = await run(steps.openReconciliation, workflowId);
  let after: string | null = null;
  let checked = 0;
  let pages = 0;
  do {
    const page: ReconciliationPage = await run(steps.reconcileFaxes, opened.reportId, after);
    checked += page.checked;
    after = page.next;
    pages++;
  } while (after);
  await run(steps.closeReconciliation, opened.reportId, checked);
  return { reportId: opened.reportId, checked, pages };
}

describe('a run over faxes in and out of step with Stripe and the carrier', () => {
  const cases: Record<string, Case> = {};
  let reportId: string;
  let tooRecent: Fax;
  let tooOld: Fax;

  beforeAll(async () => {
    // In step: delivered, captured once for its price.
    const delivered = await authorized();
    await transmitted(delivered.faxId, DELIVERABLE);
    await h.payments.capture(delivered.faxId, delivered.paymentIntentId);
    await recordAs(delivered.faxId, { status: 'delivered', payment_state: 'captured', amount_captured: 257 });
    cases.consistentDelivered = { faxId: delivered.faxId, expected: [] };

    // In step: failed at the carrier (a voice line), the hold released.
    const failed = await authorized();
    await transmitted(failed.faxId, VOICE_LINE);
    await h.payments.cancel(failed.faxId, failed.paymentIntentId);
    await recordAs(failed.faxId, { status: 'failed', payment_state: 'released' });
    cases.consistentFailed = { faxId: failed.faxId, expected: [] };

    // In step: expired unpaid, nothing at either side.
    const expired = await insertFax(h.db, { pages: 1, priceAmount: 178, currency: 'eur' });
    await recordAs(expired.id, { status: 'expired' });
    cases.consistentExpired = { faxId: expired.id, expected: [] };

    // Delivered here, but the payment intent was never captured.
    const uncaptured = await authorized();
    await transmitted(uncaptured.faxId, DELIVERABLE);
    await recordAs(uncaptured.faxId, { status: 'delivered', payment_state: 'captured', amount_captured: 257 });
    cases.uncaptured = { faxId: uncaptured.faxId, expected: ['delivered_not_captured'] };

    // Failed here, but the carrier delivered it.
    const carrierDelivered = await authorized();
    await transmitted(carrierDelivered.faxId, DELIVERABLE);
    await h.db.query(`UPDATE fax_attempt SET status = 'failed', carrier_status = 'failed' WHERE fax_id = $1`, [carrierDelivered.faxId]);
    await h.payments.cancel(carrierDelivered.faxId, carrierDelivered.paymentIntentId);
    await recordAs(carrierDelivered.faxId, { status: 'failed', payment_state: 'released' });
    cases.carrierDelivered = { faxId: carrierDelivered.faxId, expected: ['carrier_delivered_failed_here'] };

    // Cancelled here, yet captured at Stripe.
    const capturedCancelled = await authorized();
    await h.payments.capture(capturedCancelled.faxId, capturedCancelled.paymentIntentId);
    await recordAs(capturedCancelled.faxId, { status: 'cancelled', payment_state: 'released' });
    cases.capturedCancelled = { faxId: capturedCancelled.faxId, expected: ['charged_not_delivered'] };

    // Cancelled here, its hold still open at Stripe.
    const openHold = await authorized();
    await recordAs(openHold.faxId, { status: 'cancelled', payment_state: 'released' });
    cases.openHold = { faxId: openHold.faxId, expected: ['hold_left_open'] };

    // Refunded here (support's refund), but only captured at Stripe.
    const unrefunded = await authorized();
    await transmitted(unrefunded.faxId, DELIVERABLE);
    await h.payments.capture(unrefunded.faxId, unrefunded.paymentIntentId);
    await recordAs(unrefunded.faxId, { status: 'delivered', payment_state: 'refunded', amount_captured: 257, amount_refunded: 257 });
    cases.unrefunded = { faxId: unrefunded.faxId, expected: ['refund_missing'] };

    // Delivered here, but the carrier says its only transmission failed: the attempt and the fax both disagree.
    const notDelivered = await authorized();
    await transmitted(notDelivered.faxId, VOICE_LINE);
    await h.db.query(`UPDATE fax_attempt SET status = 'delivered', carrier_status = 'delivered' WHERE fax_id = $1`, [notDelivered.faxId]);
    await h.payments.capture(notDelivered.faxId, notDelivered.paymentIntentId);
    await recordAs(notDelivered.faxId, { status: 'delivered', payment_state: 'captured', amount_captured: 257 });
    cases.notDelivered = { faxId: notDelivered.faxId, expected: ['attempt_differs', 'delivered_not_at_carrier'] };

    // Purged (number and email gone): still checked by what is kept, the payment and the transmissions.
    const purged = await authorized();
    await transmitted(purged.faxId, DELIVERABLE);
    await recordAs(purged.faxId, { status: 'delivered', payment_state: 'captured', amount_captured: 257 }, 'to_number = NULL, email = NULL, purged_at = now()');
    cases.purged = { faxId: purged.faxId, expected: ['delivered_not_captured'] };

    // A payment intent Stripe does not know.
    const unknown = await insertFax(h.db, { pages: 1, priceAmount: 178, currency: 'eur', paymentIntentId: 'pi_unknown_to_stripe' });
    await recordAs(unknown.id, { status: 'failed', payment_state: 'released' });
    cases.unknownPayment = { faxId: unknown.id, expected: ['payment_not_found'] };

    // Out of the window: changed within the quiet period, and before the retention period.
    tooRecent = await insertFax(h.db, { status: 'cancelled', paymentState: 'released', paymentIntentId: 'pi_not_looked_at' });
    tooOld = await insertFax(h.db, { status: 'cancelled', paymentState: 'released', paymentIntentId: 'pi_not_looked_at_either' });
    await h.db.query(`UPDATE fax SET updated_at = now() - interval '8 days' WHERE id = $1`, [tooOld.id]);

    ({ reportId } = await runReconciliation('reconciliation-first'));
  });

  test.each([
    'consistentDelivered',
    'consistentFailed',
    'consistentExpired',
    'uncaptured',
    'carrierDelivered',
    'capturedCancelled',
    'openHold',
    'unrefunded',
    'notDelivered',
    'purged',
    'unknownPayment',
  ])('%s: exactly the expected findings', async (name) => {
    const { faxId, expected } = cases[name];
    const found = (await reports.findingsOf([reportId], 1000)).filter((f) => f.faxId === faxId).map((f) => f.code);
    expect(found.sort()).toEqual([...expected].sort());
  });

  test('each finding says what Durafax says and what Stripe or the carrier says', async () => {
    const findings = await reports.findingsOf([reportId], 1000);
    const uncaptured = findings.find((f) => f.faxId === cases.uncaptured.faxId)!;
    expect(uncaptured.ours).toMatchObject({ status: 'delivered', paymentState: 'captured', price: 257, currency: 'eur', captured: 257, purged: false });
    expect(uncaptured.theirs).toMatchObject({ party: 'stripe', found: true, status: 'requires_capture', amount: 257, received: 0 });
    const carrier = findings.find((f) => f.faxId === cases.carrierDelivered.faxId)!;
    expect(carrier.attempt).toBe(1);
    expect(carrier.ours).toMatchObject({ status: 'failed', attempt: { number: 1, status: 'failed' } });
    expect(carrier.theirs).toMatchObject({ party: 'carrier', found: true, status: 'delivered', attempt: 1 });
    const purged = findings.find((f) => f.faxId === cases.purged.faxId)!;
    expect(purged.ours.purged).toBe(true);
    const unknown = findings.find((f) => f.faxId === cases.unknownPayment.faxId)!;
    expect(unknown.theirs).toEqual({ party: 'stripe', paymentIntentId: 'pi_unknown_to_stripe', found: false });
  });

  test('faxes changed within the quiet period or before the retention period are left out; the report counts what it checked', async () => {
    const findings = await reports.findingsOf([reportId], 1000);
    expect(findings.map((f) => f.faxId)).not.toContain(tooRecent.id);
    expect(findings.map((f) => f.faxId)).not.toContain(tooOld.id);
    const report = await reports.get(reportId);
    expect(report).toMatchObject({ faxesChecked: Object.keys(cases).length, findings: 9 });
    expect(report!.completedAt).toBeInstanceOf(Date);
    expect(report!.windowTo.getTime() - report!.windowFrom.getTime()).toBeGreaterThan(6 * 24 * 3600_000);
  });

  test('one warn line per finding, naming the fax and both sides, and one info summary line, without personal data', async () => {
    const warns = lines.filter((l) => l.level === 'warn' && l.reconciliationId === reportId);
    expect(warns).toHaveLength(9);
    expect(warns).toContainEqual(
      expect.objectContaining({
        msg: 'reconciliation finding',
        faxId: cases.openHold.faxId,
        code: 'hold_left_open',
        party: 'stripe',
        status: 'cancelled',
        stripeStatus: 'requires_capture',
      }),
    );
    expect(warns).toContainEqual(
      expect.objectContaining({ faxId: cases.carrierDelivered.faxId, code: 'carrier_delivered_failed_here', party: 'carrier', attempt: 1, carrierStatus: 'delivered' }),
    );
    const summary = lines.filter((l) => l.msg === 'reconciliation finished' && l.reconciliationId === reportId);
    expect(summary).toEqual([expect.objectContaining({ level: 'info', faxesChecked: 11, findings: 9 })]);
    expect(JSON.stringify(lines)).not.toContain(DELIVERABLE);
  });

  test('a page run again records and logs nothing twice; the next run starts an hour before this one ended', async () => {
    const before = lines.length;
    const again = await run(steps.reconcileFaxes, reportId, null);
    expect(again.checked).toBe(3);
    expect(lines.slice(before).filter((l) => l.level === 'warn')).toEqual([]);
    expect((await reports.findingsOf([reportId], 1000)).length).toBe(9);
    // The same workflow opens the same report again.
    expect((await run(steps.openReconciliation, 'reconciliation-first')).reportId).toBe(reportId);

    const first = (await reports.get(reportId))!;
    const next = await run(steps.openReconciliation, 'reconciliation-second');
    expect(new Date(next.windowFrom).getTime()).toBe(first.windowTo.getTime() - 3600_000);
    // Only the hold left open changed again within the overlap: the second run checks it alone.
    await h.db.query(`UPDATE fax SET updated_at = now() - interval '3 hours' WHERE id <> $1`, [tooRecent.id]);
    await h.db.query(`UPDATE fax SET updated_at = now() - interval '30 minutes' WHERE id = $1`, [cases.openHold.faxId]);
    let after: string | null = null;
    let checked = 0;
    do {
      const page: ReconciliationPage = await run(steps.reconcileFaxes, next.reportId, after);
      checked += page.checked;
      after = page.next;
    } while (after);
    const closed = await run(steps.closeReconciliation, next.reportId, checked);
    expect(closed).toMatchObject({ faxesChecked: 1, findings: 1 });
    expect((await reports.findingsOf([next.reportId], 10)).map((f) => [f.faxId, f.code])).toEqual([[cases.openHold.faxId, 'hold_left_open']]);
  });
});
