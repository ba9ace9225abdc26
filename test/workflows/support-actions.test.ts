import { WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import fs from 'node:fs/promises';
import path from 'node:path';
import { cancelSignal, refundUpdate, resendUpdate, stateQuery, type SupportRequest } from '../../src/workflows/contract';
import { faxCountryKey } from '../../src/workflows/search-attributes';
import { pay, until, useFaxTestBed, workflowsPath } from './harness';

const DAY = 86_400_000;
const { runHistories, withFax } = useFaxTestBed();

const asked = (n: number): SupportRequest => ({ actionId: `00000000-0000-4000-8000-00000000000${n}`, by: 'alice' });

/** The reason code a refused update failed with. */
async function refusal(p: Promise<unknown>): Promise<string | undefined> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
  const cause = (err as WorkflowUpdateFailedError).cause;
  expect(cause).toBeInstanceOf(ApplicationFailure);
  return (cause as ApplicationFailure).type ?? undefined;
}

function eventTypes(events: temporal.api.history.v1.IHistoryEvent[]): string[] {
  return events.map((e) => temporal.api.enums.v1.EventType[e.eventType!]);
}

test('support refunds a delivered fax once, however often it is asked', async () => {
  await withFax('support-refund', {}, async ({ providers, handle }) => {
    await until(handle, (s) => s.status === 'awaiting_payment');
    expect(await refusal(handle.executeUpdate(refundUpdate, { args: [asked(1)] }))).toBe('not_refundable');
    await pay(handle);
    await until(handle, (s) => s.status === 'delivered' && s.paymentState === 'captured');

    // Two clicks at once: one refund at the provider, both answered.
    const [a, b] = await Promise.all([handle.executeUpdate(refundUpdate, { args: [asked(2)] }), handle.executeUpdate(refundUpdate, { args: [asked(3)] })]);
    expect([a.outcome, b.outcome].sort()).toEqual(['already_refunded', 'refunded']);
    expect(a).toMatchObject({ paymentState: 'refunded', amount: 99 + 2 * 79, currency: 'eur' });
    expect(await handle.executeUpdate(refundUpdate, { args: [asked(4)] })).toMatchObject({ outcome: 'already_refunded', paymentState: 'refunded' });
    expect(providers.payment).toMatchObject({ captures: 1, refunds: 1 });

    const result = await handle.result();
    expect(result).toMatchObject({ status: 'delivered', paymentState: 'refunded', purged: true });
    expect(result.supportActions).toEqual([{ actionId: expect.stringMatching(/[23]$/), kind: 'refund', by: 'alice' }]);
    // The refused request left nothing in the history; the three accepted ones did.
    const types = eventTypes((await handle.fetchHistory()).events!);
    expect(types.filter((t) => t === 'EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED')).toHaveLength(3);
    expect(types.filter((t) => t === 'EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED')).toHaveLength(3);
  });
});

test('support resends a failed fax to a corrected number: new attempts, free of charge, retained anew', async () => {
  await withFax('support-resend', { transmissions: ['unallocated', 'delivered'] }, async ({ providers, handle }) => {
    await until(handle, (s) => s.status === 'awaiting_payment');
    expect(await refusal(handle.executeUpdate(resendUpdate, { args: [asked(1)] }))).toBe('not_resendable');
    await pay(handle);
    await until(handle, (s) => s.status === 'failed' && s.paymentState === 'released');

    const answer = await handle.executeUpdate(resendUpdate, { args: [asked(2)] });
    expect(answer).toEqual({ outcome: 'resending', firstAttempt: 2, country: 'FR' });
    const result = await handle.result();
    expect(result.status).toBe('delivered');
    expect(result.failureReason).toBeNull();
    expect(result.attempts.map((a) => [a.number, a.status, a.reason])).toEqual([
      [1, 'failed', 'number_unallocated'],
      [2, 'delivered', null],
    ]);
    // The hold was released when the fax failed; the resend charges nothing.
    expect(result.paymentState).toBe('released');
    expect(providers.payment).toMatchObject({ captures: 0, releases: 1, refunds: 0 });
    expect(providers.calls.filter((c) => c.name === 'prepareResend').map((c) => c.args)).toEqual([[handle.workflowId.slice(4), asked(2).actionId]]);
    expect(providers.statuses.map((s) => s.status)).toEqual(['awaiting_payment', 'failed', 'delivered']);
    expect(result.supportActions).toEqual([{ actionId: asked(2).actionId, kind: 'resend', by: 'alice' }]);
    expect((await handle.describe()).typedSearchAttributes.get(faxCountryKey)).toBe('FR');
    // Retained again from the resend's end.
    const [delivered] = providers.callTimes('setStatus').slice(-1);
    const [purged] = providers.callTimes('purgeDocuments');
    expect(purged - delivered).toBeGreaterThanOrEqual(7 * DAY);
  });
});

test('a second resend is refused while the first runs, and support may cancel a resend between attempts', async () => {
  await withFax('support-resend-cancelled', { transmissions: ['voice_line', 'busy'] }, async ({ providers, handle }) => {
    await until(handle, (s) => s.status === 'awaiting_payment');
    await pay(handle);
    await until(handle, (s) => s.status === 'failed');
    await handle.executeUpdate(resendUpdate, { args: [asked(1)] });
    await until(handle, (s) => s.status === 'retrying');
    expect(await refusal(handle.executeUpdate(resendUpdate, { args: [asked(2)] }))).toBe('not_resendable');
    await handle.signal(cancelSignal, { by: 'support' });
    await until(handle, (s) => s.status === 'cancelled');
    expect(await handle.query(stateQuery)).toMatchObject({ failureReason: 'cancelled_by_support', paymentState: 'released' });
    expect(providers.count('submitTransmission')).toBe(2);
    expect(providers.payment).toMatchObject({ captures: 0, releases: 1 });
  });
});

test('the histories of support actions replay on the current workflow code', async () => {
  const dir = runHistories();
  const files = (await fs.readdir(dir)).filter((f) => f.startsWith('support-'));
  expect(files.sort()).toEqual(['support-refund.json', 'support-resend-cancelled.json', 'support-resend.json']);
  const histories = await Promise.all(files.map(async (f) => ({ workflowId: f, history: JSON.parse(await fs.readFile(path.join(dir, f), 'utf8')) as unknown })));
  const failures: string[] = [];
  for await (const result of Worker.runReplayHistories({ workflowsPath }, histories)) if (result.error) failures.push(`${result.workflowId}: ${result.error.message}`);
  expect(failures).toEqual([]);
});
