import { randomUUID } from 'node:crypto';
import type { WorkflowHandle } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { workflowMetadataQuery } from '@temporalio/workflow';
import { TemporalFaxWorkflows } from '../../src/web/fax-workflows';
import { checkoutUpdate, faxWorkflowId } from '../../src/workflows/contract';
import { faxCountryKey, faxPagesKey, faxStatusKey, paymentStateKey } from '../../src/workflows/search-attributes';
import { pay, until, useFaxTestBed } from './harness';

const { env, withFax } = useFaxTestBed();

/** The fax's search attributes as DescribeWorkflowExecution reports them. */
async function attributesOf(handle: WorkflowHandle): Promise<Record<string, unknown>> {
  const { typedSearchAttributes: sa } = await handle.describe();
  return { FaxStatus: sa.get(faxStatusKey), FaxCountry: sa.get(faxCountryKey), PaymentState: sa.get(paymentStateKey), FaxPages: sa.get(faxPagesKey) };
}

async function currentDetails(handle: WorkflowHandle): Promise<string> {
  return (await handle.query(workflowMetadataQuery)).currentDetails ?? '';
}

async function listIds(query: string): Promise<string[]> {
  const ids: string[] = [];
  for await (const wf of env().client.workflow.list({ query })) ids.push(wf.workflowId);
  return ids;
}

test('support sees the fax move in the Temporal UI: search attributes, current details, activity summaries', async () => {
  await withFax('search-attributes', { pages: 3, transmissions: ['busy', 'delivered'] }, async ({ handle }) => {
    await until(handle, (s) => s.status === 'awaiting_payment');
    expect(await attributesOf(handle)).toEqual({ FaxStatus: 'awaiting_payment', FaxCountry: 'DE', PaymentState: 'none', FaxPages: 3 });
    const waiting = await currentDetails(handle);
    expect(waiting).toContain(`**Fax ${handle.workflowId.replace(/^fax-/, '')}** to DE: 3 pages, €3.36`);
    expect(waiting).toContain('**Now:** waiting for the payment');
    expect(waiting).toContain('**Payment:** not paid');

    await handle.executeUpdate(checkoutUpdate);
    await pay(handle);
    await until(handle, (s) => s.status === 'retrying');
    expect(await attributesOf(handle)).toMatchObject({ FaxStatus: 'retrying', PaymentState: 'authorized' });
    expect(await currentDetails(handle)).toContain('**Now:** transmission 1 of 3 failed (busy); transmission 2 follows after a pause');

    await handle.result();
    expect(await attributesOf(handle)).toEqual({ FaxStatus: 'delivered', FaxCountry: 'DE', PaymentState: 'captured', FaxPages: 3 });
    expect(await currentDetails(handle)).toContain('**Now:** delivered; documents purged');

    const summaries = (await handle.fetchHistory())
      .events!.filter((e) => e.activityTaskScheduledEventAttributes)
      .map((e) => defaultPayloadConverter.fromPayload<string>(e.userMetadata!.summary!));
    expect(summaries).toEqual([
      'read the fax policy',
      'convert document',
      'record status: awaiting payment',
      'open checkout',
      'confirm card hold',
      'transmission 1 of 3',
      'follow transmission 1 of 3',
      'record status: retrying',
      'transmission 2 of 3',
      'follow transmission 2 of 3',
      'capture payment',
      'record status: delivered',
      'purge documents',
    ]);
  });
});

test('list queries on FaxStatus and FaxCountry find the right faxes', async () => {
  const ids: Record<string, string> = {};
  const cases = [
    { name: 'failedDE', country: 'DE', transmissions: ['voice_line'] as const },
    { name: 'deliveredDE', country: 'DE', transmissions: ['delivered'] as const },
    { name: 'failedFR', country: 'FR', transmissions: ['voice_line'] as const },
  ];
  for (const c of cases) {
    await withFax(
      `list-${c.name}`,
      { transmissions: [...c.transmissions] },
      async ({ handle }) => {
        ids[c.name] = handle.workflowId;
        await until(handle, (s) => s.status === 'awaiting_payment');
        await pay(handle);
        await until(handle, (s) => s.status === 'failed' || s.status === 'delivered');
      },
      { country: c.country },
    );
  }
  // Other tests in this file add faxes too: look only at these three.
  const mine = (found: string[]): string[] =>
    Object.keys(ids)
      .filter((name) => found.includes(ids[name]))
      .sort();
  expect(mine(await listIds('FaxStatus="failed"'))).toEqual(['failedDE', 'failedFR']);
  expect(mine(await listIds('FaxCountry="DE"'))).toEqual(['deliveredDE', 'failedDE']);
  expect(mine(await listIds('FaxStatus="failed" AND FaxCountry="DE"'))).toEqual(['failedDE']);
  expect(mine(await listIds('PaymentState="released" AND FaxPages=2'))).toEqual(['failedDE', 'failedFR']);
});

test('the web starts a fax with a summary and details that name it and its destination country only', async () => {
  const faxId = randomUUID();
  // No worker polls this queue: the test is about what the start request carries.
  await new TemporalFaxWorkflows(env().client, `start-${faxId}`, 10_000).start(faxId, { country: 'FR' });
  const handle = env().client.workflow.getHandle(faxWorkflowId(faxId));
  try {
    const description = await handle.describe();
    expect(await description.staticSummary()).toBe(`Fax ${faxId} to FR`);
    const details = await description.staticDetails();
    expect(details).toContain(`**Fax** ${faxId}`);
    expect(details).toContain('**Destination:** FR');
    expect(description.memo).toEqual({ faxId, country: 'FR' });
  } finally {
    await handle.terminate('test finished');
  }
});
