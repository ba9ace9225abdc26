import fs from 'node:fs/promises';
import path from 'node:path';
import { WorkflowFailedError, WorkflowUpdateFailedError, WorkflowUpdateStage } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { Worker } from '@temporalio/worker';
import { cancelDecisionUpdate, cancelSignal, carrierEventSignal, checkoutUpdate, conversionTaskQueueOf, stateQuery } from '../../src/workflows/contract';
import { TemporalFaxWorkflows } from '../../src/web/fax-workflows';
import { CHECKOUT_ON_REQUEST_PATCH } from '../../src/workflows/fax-process';
import type { Scenario } from './fake-providers';
import { event, FIXTURES, pay, until, useFaxTestBed, workflowsPath } from './harness';

const DAY = 86_400_000;
const HOUR = 3_600_000;
const { env, runHistories, withFax } = useFaxTestBed();

/** The `patched()` ids a history recorded (its core_patch markers). */
function patchesOf(history: unknown): string[] {
  const events = (history as { events: Array<{ markerRecordedEventAttributes?: { markerName?: string; details?: Record<string, { payloads: Array<{ data: string }> }> } }> })
    .events;
  return events
    .map((e) => e.markerRecordedEventAttributes)
    .filter((m) => m?.markerName === 'core_patch')
    .flatMap((m) => Object.values(m!.details ?? {}).flatMap((d) => d.payloads.map((p) => (JSON.parse(Buffer.from(p.data, 'base64').toString('utf8')) as { id: string }).id)));
}

/** The reason code an update was refused with. */
async function refusalOf(p: Promise<unknown>): Promise<string | null> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
  const cause = (err as WorkflowUpdateFailedError).cause;
  return cause instanceof ApplicationFailure ? (cause.type ?? null) : null;
}

test('a paid fax is delivered, captured once, and purged after seven days', async () => {
  await withFax('delivered', { pages: 3 }, async ({ providers, handle }) => {
    await until(handle, (s) => s.status === 'awaiting_payment');
    await pay(handle);
    const result = await handle.result();
    expect(result.status).toBe('delivered');
    expect(result.paymentState).toBe('captured');
    expect(result.pages).toBe(3);
    expect(result.amount).toBe(99 + 3 * 79);
    expect(result.attempts).toEqual([{ number: 1, carrierFaxId: 'cf-1', status: 'delivered', reason: null, retryable: null, pagesSent: 3 }]);
    expect(providers.payment).toMatchObject({ captures: 1, releases: 0, refunds: 0 });
    expect(result.purged).toBe(true);
    const [finalAt] = providers.callTimes('setStatus').slice(-1);
    const [purgedAt] = providers.callTimes('purgeDocuments');
    expect(purgedAt - finalAt).toBeGreaterThanOrEqual(7 * DAY);
    expect(purgedAt - finalAt).toBeLessThan(7 * DAY + HOUR);
    // The conversion went to the queue the fax was started with; everything else to the fax's own.
    const queues = new Map<string, string>();
    for (const e of (await handle.fetchHistory()).events ?? []) {
      const scheduled = e.activityTaskScheduledEventAttributes;
      if (scheduled) queues.set(scheduled.activityType?.name ?? '', scheduled.taskQueue?.name ?? '');
    }
    const { taskQueue } = await handle.describe();
    expect(queues.get('convertDocument')).toBe(conversionTaskQueueOf(taskQueue));
    expect(queues.get('submitTransmission')).toBe(taskQueue);
  });
});

test('busy lines are retried after the retry delay, then the fax is delivered', async () => {
  await withFax('busy-then-delivered', { transmissions: ['busy', 'busy', 'delivered'] }, async ({ providers, handle }) => {
    await until(handle, (s) => s.status === 'awaiting_payment');
    await pay(handle);
    const result = await handle.result();
    expect(result.status).toBe('delivered');
    expect(result.attempts.map((a) => [a.status, a.reason])).toEqual([
      ['failed', 'busy'],
      ['failed', 'busy'],
      ['delivered', null],
    ]);
    const submits = providers.callTimes('submitTransmission');
    expect(submits).toHaveLength(3);
    for (let i = 1; i < submits.length; i++) {
      expect(submits[i] - submits[i - 1]).toBeGreaterThanOrEqual(5 * 60_000);
      expect(submits[i] - submits[i - 1]).toBeLessThan(6 * 60_000);
    }
    expect(providers.statuses.filter((s) => s.status === 'retrying')).toHaveLength(2);
    expect(providers.payment).toMatchObject({ captures: 1, releases: 0 });
  });
});

test('when every transmission fails the hold is released and nothing is captured', async () => {
  await withFax('all-fail', { transmissions: ['no_answer'] }, async ({ providers, handle }) => {
    await until(handle, (s) => s.status === 'awaiting_payment');
    await pay(handle);
    const result = await handle.result();
    expect(result.status).toBe('failed');
    expect(result.failureReason).toBe('no_answer');
    expect(result.attempts).toHaveLength(3);
    expect(result.paymentState).toBe('released');
    expect(providers.payment).toMatchObject({ captures: 0, releases: 1, refunds: 0 });
  });
});

test('a final failure (voice line) is not retried', async () => {
  await withFax('voice-line', { transmissions: ['voice_line'] }, async ({ providers, handle }) => {
    await until(handle, (s) => s.status === 'awaiting_payment');
    await pay(handle);
    const result = await handle.result();
    expect(result.status).toBe('failed');
    expect(result.failureReason).toBe('not_a_fax_machine');
    expect(providers.count('submitTransmission')).toBe(1);
    expect(providers.payment).toMatchObject({ captures: 0, releases: 1 });
  });
});

test('when the hold would lapse first, the payment is captured early and refunded on failure', async () => {
  const scenario: Scenario = {
    transmissions: ['busy', 'no_answer'],
    holdWindowMs: 3 * HOUR,
    policy: { retryDelayMs: 4 * HOUR, maxTransmissions: 2, captureMarginMs: HOUR },
  };
  await withFax('hold-deadline', scenario, async ({ providers, handle }) => {
    await until(handle, (s) => s.status === 'awaiting_payment');
    await pay(handle);
    const result = await handle.result();
    expect(result.status).toBe('failed');
    expect(result.capturedEarly).toBe(true);
    expect(result.paymentState).toBe('refunded');
    expect(providers.payment).toMatchObject({ captures: 1, refunds: 1, releases: 0 });
    const [authorizedAt] = providers.callTimes('confirmPayment');
    const [capturedAt] = providers.callTimes('capturePayment');
    // Captured one margin before the three-hour hold lapsed, between the two transmissions.
    expect(capturedAt - authorizedAt).toBeGreaterThanOrEqual(2 * HOUR);
    expect(capturedAt - authorizedAt).toBeLessThan(2 * HOUR + 60_000);
    const [, secondSubmit] = providers.callTimes('submitTransmission');
    expect(capturedAt).toBeLessThan(secondSubmit);
    expect(providers.callTimes('refundPayment')[0]).toBeGreaterThan(secondSubmit);
  });
});

test('a hold that outlasts the fax is captured on delivery, not early', async () => {
  await withFax('hold-long', { holdWindowMs: 7 * DAY }, async ({ providers, handle }) => {
    await until(handle, (s) => s.status === 'awaiting_payment');
    await pay(handle);
    const result = await handle.result();
    expect(result.capturedEarly).toBe(false);
    expect(result.paymentState).toBe('captured');
    expect(providers.payment.captures).toBe(1);
  });
});

test('without payment the fax expires after the payment window and nothing is charged; no checkout was opened for it', async () => {
  await withFax('expired', {}, async ({ providers, handle }) => {
    const result = await handle.result();
    expect(result.status).toBe('expired');
    expect(result.failureReason).toBe('payment_expired');
    expect(providers.count('openCheckout')).toBe(0);
    expect(providers.count('closeCheckout')).toBe(0);
    expect(providers.count('submitTransmission')).toBe(0);
    const offered = providers.statuses.findIndex((s) => s.status === 'awaiting_payment');
    const [offeredAt, expiredAt] = [providers.callTimes('setStatus')[offered], providers.callTimes('setStatus').at(-1)!];
    expect(Math.abs(providers.statuses[offered].payBy! - offeredAt - HOUR)).toBeLessThan(1000);
    expect(expiredAt - offeredAt).toBeGreaterThanOrEqual(HOUR - 1000);
    expect(providers.payment).toMatchObject({ captures: 0, releases: 0, refunds: 0 });
  });
});

test('the checkout opens when the sender asks to pay, once however often asked, and the fax still expires at the end of its window', async () => {
  await withFax('checkout-on-request', {}, async ({ providers, handle }) => {
    await until(handle, (s) => s.status === 'awaiting_payment');
    expect(providers.count('openCheckout')).toBe(0);
    const [first, second] = await Promise.all([handle.executeUpdate(checkoutUpdate), handle.executeUpdate(checkoutUpdate)]);
    expect(first.url).toMatch(/^https:\/\/checkout\.test\/c\/pay\/cs_/);
    expect(second).toEqual(first);
    expect(providers.count('openCheckout')).toBe(1);
    const [offeredAt] = providers.callTimes('setStatus');
    // The window runs from the quote, not from the click: asking late does not buy time.
    expect(Math.abs(new Date(first.payBy).getTime() - offeredAt - HOUR)).toBeLessThan(1000);
    expect(providers.calls.find((c) => c.name === 'openCheckout')?.args[1]).toBe(new Date(first.payBy).getTime());
    const result = await handle.result();
    expect(result.status).toBe('expired');
    expect(providers.count('closeCheckout')).toBe(1);
    expect(providers.callTimes('closeCheckout')[0] - offeredAt).toBeGreaterThanOrEqual(HOUR - 1000);
  });
});

test('asking to pay the moment the record shows the quote, before the workflow offers it, waits for the offer', async () => {
  let recorded!: () => void;
  const quoteRecorded = new Promise<void>((resolve) => (recorded = resolve));
  await withFax('checkout-early', { quoteRecorded }, async ({ providers, handle, faxId }) => {
    // The record says awaiting_payment (what the web reads), the workflow has not taken it in yet.
    while (!providers.statuses.some((s) => s.status === 'awaiting_payment')) await new Promise((r) => setTimeout(r, 20));
    expect(await refusalOf(handle.executeUpdate(checkoutUpdate))).toBe('not_payable_yet');
    const asked = new TemporalFaxWorkflows(env().client, 'unused', 10_000).checkout(faxId);
    await new Promise((r) => setTimeout(r, 500));
    recorded();
    const offer = await asked;
    expect(offer?.url).toBe(`https://checkout.test/c/pay/cs_${faxId}`);
    expect(providers.count('openCheckout')).toBe(1);
  });
});

test('asking to pay a fax that is paid, or has expired, is refused as not payable', async () => {
  await withFax('checkout-refused', {}, async ({ providers, handle }) => {
    await until(handle, (s) => s.status === 'awaiting_payment');
    await handle.executeUpdate(checkoutUpdate);
    await pay(handle);
    await until(handle, (s) => s.paymentState !== 'none');
    expect(await refusalOf(handle.executeUpdate(checkoutUpdate))).toBe('not_payable');
    await handle.result();
    expect(providers.count('openCheckout')).toBe(1);
  });
  await withFax('checkout-after-expiry', {}, async ({ providers, handle }) => {
    await until(handle, (s) => s.status === 'awaiting_payment');
    await env().sleep(HOUR + 60_000);
    await until(handle, (s) => s.status === 'expired');
    expect(await refusalOf(handle.executeUpdate(checkoutUpdate))).toBe('not_payable');
    expect(providers.count('openCheckout')).toBe(0);
  });
});

test('a payment that arrives after the fax expired is released', async () => {
  await withFax('late-payment', {}, async ({ providers, handle }) => {
    await until(handle, (s) => s.status === 'awaiting_payment');
    await env().sleep(HOUR + 60_000);
    await until(handle, (s) => s.status === 'expired');
    await pay(handle, 'pi_late');
    await until(handle, () => providers.released.includes('pi_late'));
    expect(providers.count('confirmPayment')).toBe(0);
    expect(providers.count('submitTransmission')).toBe(0);
  });
});

test('the sender can cancel while the fax awaits payment; the checkout they opened is closed', async () => {
  await withFax('cancel-before-payment', {}, async ({ providers, handle, faxId }) => {
    await until(handle, (s) => s.status === 'awaiting_payment');
    await handle.executeUpdate(checkoutUpdate);
    // The web's cancel: the signal, then its decision by update, in one round trip each.
    expect(await new TemporalFaxWorkflows(env().client, 'unused', 10_000).cancel(faxId, 'sender')).toBe('accepted');
    const result = await handle.result();
    expect(result.status).toBe('cancelled');
    expect(result.failureReason).toBe('cancelled_by_sender');
    expect(result.cancel).toBe('accepted');
    expect(providers.count('closeCheckout')).toBe(1);
    expect(providers.count('submitTransmission')).toBe(0);
  });
});

test('a cancel between transmissions releases the hold; one during a transmission is refused', async () => {
  await withFax('cancel-between-attempts', { transmissions: ['busy', 'delivered'], report: 'webhook' }, async ({ providers, handle, faxId }) => {
    const workflows = new TemporalFaxWorkflows(env().client, 'unused', 10_000);
    await until(handle, (s) => s.status === 'awaiting_payment');
    await pay(handle);
    await until(handle, (s) => s.attempts[0]?.carrierFaxId === 'cf-1');
    expect(await workflows.cancel(faxId, 'sender')).toBe('refused');
    expect((await handle.query(stateQuery)).cancel).toBe('refused');
    // The decision asked for before the workflow has taken the signal: it waits for the signal.
    const early = await handle.startUpdate(cancelDecisionUpdate, { args: ['asked-early'], waitForStage: WorkflowUpdateStage.ACCEPTED });
    await handle.signal(cancelSignal, { by: 'sender', requestId: 'asked-early' });
    expect(await early.result()).toBe('refused');
    await handle.signal(carrierEventSignal, event('cf-1', 'failed', { failureReason: 'user_busy' }));
    await until(handle, (s) => s.status === 'retrying');
    // The earlier refusal does not stick: between attempts a cancel is honoured.
    expect(await workflows.cancel(faxId, 'sender')).toBe('accepted');
    const result = await handle.result();
    expect(result.status).toBe('cancelled');
    expect(result.cancel).toBe('accepted');
    expect(providers.count('submitTransmission')).toBe(1);
    expect(providers.payment).toMatchObject({ captures: 0, releases: 1 });
  });
});

test('duplicate payment signals are counted once', async () => {
  await withFax('duplicate-payment', {}, async ({ providers, handle }) => {
    await until(handle, (s) => s.status === 'awaiting_payment');
    await Promise.all([pay(handle), pay(handle), pay(handle)]);
    const result = await handle.result();
    expect(result.status).toBe('delivered');
    expect(result.duplicatePaymentSignals).toBe(2);
    expect(providers.count('confirmPayment')).toBe(1);
    expect(providers.payment.captures).toBe(1);
  });
});

test('carrier webhooks decide the outcome; duplicates and stale reports change nothing', async () => {
  await withFax('webhooks', { report: 'webhook' }, async ({ providers, handle }) => {
    await until(handle, (s) => s.status === 'awaiting_payment');
    await pay(handle);
    await until(handle, (s) => s.attempts[0]?.carrierFaxId === 'cf-1');
    await handle.signal(carrierEventSignal, event('cf-1', 'sending'));
    await handle.signal(carrierEventSignal, event('cf-0', 'failed', { failureReason: 'user_busy' }));
    const delivered = event('cf-1', 'delivered', { pagesSent: 2 });
    await handle.signal(carrierEventSignal, delivered);
    await handle.signal(carrierEventSignal, delivered);
    const result = await handle.result();
    expect(result.status).toBe('delivered');
    expect(result.attempts).toHaveLength(1);
    expect(result.attempts[0]).toMatchObject({ status: 'delivered', pagesSent: 2 });
    expect(providers.payment.captures).toBe(1);
    // The polling backstop was started and then cancelled once the webhook told the outcome.
    expect(providers.count('watchTransmission')).toBe(1);
  });
});

test('an amount that does not match the quote releases the hold and fails the fax', async () => {
  await withFax('amount-mismatch', { wrongAmount: true }, async ({ providers, handle }) => {
    await until(handle, (s) => s.status === 'awaiting_payment');
    await pay(handle);
    const result = await handle.result();
    expect(result.status).toBe('failed');
    expect(result.failureReason).toBe('payment_amount_mismatch');
    expect(providers.payment.releases).toBe(1);
    expect(providers.count('submitTransmission')).toBe(0);
  });
});

test('a document that cannot be faxed is rejected before any checkout', async () => {
  await withFax('rejected', { rejectWith: 'encrypted_document' }, async ({ providers, handle }) => {
    const result = await handle.result();
    expect(result.status).toBe('rejected');
    expect(result.failureReason).toBe('encrypted_document');
    expect(providers.count('openCheckout')).toBe(0);
    expect(providers.count('purgeDocuments')).toBe(1);
  });
});

test('support cancelling the workflow mid-transmission stops the carrier and releases the hold', async () => {
  await withFax('support-cancel', { report: 'webhook' }, async ({ providers, handle }) => {
    await until(handle, (s) => s.status === 'awaiting_payment');
    await pay(handle);
    await until(handle, (s) => s.attempts[0]?.carrierFaxId === 'cf-1');
    await handle.cancel();
    await expect(handle.result()).rejects.toBeInstanceOf(WorkflowFailedError);
    expect(providers.count('cancelTransmission')).toBe(1);
    expect(providers.payment).toMatchObject({ captures: 0, releases: 1 });
    expect(providers.statuses.at(-1)).toMatchObject({ status: 'cancelled', failureReason: 'cancelled_by_support' });
    expect(providers.count('purgeDocuments')).toBe(1);
  });
});

test('every history of this run and every committed fixture replays on the current workflow code', async () => {
  const load = async (dir: string): Promise<Array<{ workflowId: string; history: unknown }>> => {
    const files = (await fs.readdir(dir).catch(() => [] as string[])).filter((f) => f.endsWith('.json'));
    return Promise.all(files.map(async (f) => ({ workflowId: `${path.basename(dir)}/${f}`, history: JSON.parse(await fs.readFile(path.join(dir, f), 'utf8')) as unknown })));
  };
  const fixtures = await load(FIXTURES);
  const runs = await load(runHistories());
  expect(runs.length).toBeGreaterThanOrEqual(14);
  // Both sides of the search-attributes patch stay covered: faxes begun before it (no upserts) and after.
  const upserts = (h: unknown): boolean => JSON.stringify(h).includes('EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES');
  expect(fixtures.filter((f) => !upserts(f.history)).length).toBeGreaterThanOrEqual(14);
  expect(fixtures.filter((f) => upserts(f.history)).length).toBeGreaterThanOrEqual(1);
  // And of the checkout patch: faxes that opened their checkout at once, and faxes that open it on request.
  const onRequest = (h: unknown): boolean => patchesOf(h).includes(CHECKOUT_ON_REQUEST_PATCH);
  expect(fixtures.filter((f) => !onRequest(f.history)).length).toBeGreaterThanOrEqual(14);
  expect(fixtures.filter((f) => onRequest(f.history)).length).toBeGreaterThanOrEqual(1);
  const failures: string[] = [];
  let replayed = 0;
  for await (const result of Worker.runReplayHistories({ workflowsPath }, [...fixtures, ...runs])) {
    replayed++;
    if (result.error) failures.push(`${result.workflowId}: ${result.error.message}`);
  }
  expect(failures).toEqual([]);
  expect(replayed).toBe(fixtures.length + runs.length);
});
