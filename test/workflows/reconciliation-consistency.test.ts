import { randomUUID } from 'node:crypto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { createReconciliationSteps, reconciliationWindow } from '../../src/activities/reconciliation-steps';
import { Faxes } from '../../src/db/faxes';
import { Reconciliations } from '../../src/db/reconciliations';
import { silentLogger } from '../../src/log';
import { TemporalFaxWorkflows } from '../../src/web/fax-workflows';
import { cancelSignal, faxWorkflowId, paymentAuthorizedSignal, refundUpdate } from '../../src/workflows/contract';
import type { ReconciliationPage } from '../../src/workflows/reconciliation-contract';
import { DELIVERABLE, insertFax, readFax, run, startHarness, type Harness } from '../activities/harness';
import { makePdf } from '../helpers/sender';
import { CARDS, CheckoutBrowser } from '../helpers/stripe';
import { createLocalEnv } from '../helpers/temporal';
import { FAX_SEARCH_ATTRIBUTES } from '../../src/workflows/search-attributes';

/**
 * What the fax workflow itself leaves behind is in step with Stripe and the carrier: faxes
 * delivered, failed after retries, refused by a voice line, cancelled, and refunded by support,
 * each run by the real workflow and activities against the twins, are reconciled without a
 * single finding.
 */
let h: Harness;
let env: TestWorkflowEnvironment;
let worker: Worker;
let running: Promise<void>;
const taskQueue = `consistency-${randomUUID()}`;

beforeAll(async () => {
  h = await startHarness({ msPerPage: 5 });
  env = await createLocalEnv({ searchAttributes: { ...FAX_SEARCH_ATTRIBUTES } });
  worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowsPath: require.resolve('../../src/workflows'),
    activities: h.activitiesWith({ policy: { statusPollMs: 100, retryDelayMs: 200 } }),
  });
  running = worker.run();
}, 120_000);
afterAll(async () => {
  worker?.shutdown();
  await running;
  await env?.teardown();
  await h?.stop();
}, 60_000);

async function until(id: string, pred: (status: string, payment: string) => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const fax = await readFax(h.db, id);
    if (pred(fax.status, fax.paymentState)) return;
    if (Date.now() > deadline) throw new Error(`fax ${id} never became ${what}; it is ${fax.status}/${fax.paymentState}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A fax with a one-page document, its workflow started as the web starts it. */
async function started(to: string): Promise<string> {
  const fax = await insertFax(h.db, { toNumber: to, paper: 'a4' });
  await h.store.put({ faxId: fax.id, kind: 'original', contentType: 'application/pdf', data: await makePdf(1) });
  await env.client.workflow.start('faxWorkflow', { taskQueue, workflowId: faxWorkflowId(fax.id), args: [{ faxId: fax.id, country: 'DE' }] });
  return fax.id;
}

/** Pays the checkout on the Stripe twin's page; the payment signal stands in for the webhook. */
async function paid(to: string): Promise<string> {
  const id = await started(to);
  await until(id, (s) => s === 'awaiting_payment', 'payable');
  const offer = await new TemporalFaxWorkflows(env.client, taskQueue, 10_000).checkout(id);
  expect((await new CheckoutBrowser('en').pay(offer!.url, CARDS.visa)).status).toBe(303);
  const fax = await readFax(h.db, id);
  const session = await h.payments.retrieveCheckoutSession(fax.checkoutSessionId!);
  await env.client.workflow
    .getHandle(faxWorkflowId(id))
    .signal(paymentAuthorizedSignal, { paymentIntentId: session.paymentIntentId!, checkoutSessionId: session.id, source: 'webhook' });
  return id;
}

test('faxes the workflow took to each ending are reconciled without a finding', async () => {
  const delivered = await paid(DELIVERABLE);
  const neverAnswers = await paid('+493012340002');
  const voiceLine = await paid('+493012340003');
  const refunded = await paid(DELIVERABLE);
  const cancelled = await started(DELIVERABLE);
  await until(cancelled, (s) => s === 'awaiting_payment', 'payable');
  await env.client.workflow.getHandle(faxWorkflowId(cancelled)).signal(cancelSignal, { by: 'sender' });

  await until(delivered, (s, p) => s === 'delivered' && p === 'captured', 'delivered and captured');
  await until(refunded, (s, p) => s === 'delivered' && p === 'captured', 'delivered and captured');
  await env.client.workflow.getHandle(faxWorkflowId(refunded)).executeUpdate(refundUpdate, { args: [{ actionId: randomUUID(), by: 'carol' }] });
  await until(refunded, (_s, p) => p === 'refunded', 'refunded');
  await until(neverAnswers, (s, p) => s === 'failed' && p === 'released', 'failed and released');
  await until(voiceLine, (s, p) => s === 'failed' && p === 'released', 'failed and released');
  await until(cancelled, (s) => s === 'cancelled', 'cancelled');
  const ids = [delivered, neverAnswers, voiceLine, refunded, cancelled];
  expect((await new Faxes(h.db).attempts(neverAnswers)).length).toBe(3);

  // Their last changes are older than the quiet period: the next run looks at each.
  await h.db.query(`UPDATE fax SET updated_at = now() - interval '10 minutes' WHERE id = ANY($1::uuid[])`, [ids]);
  const reports = new Reconciliations(h.db);
  const steps = createReconciliationSteps({
    records: new Faxes(h.db),
    reports,
    payments: h.payments,
    carrier: h.carrier,
    window: reconciliationWindow(7 * 24 * 3600_000),
    pageSize: 2,
    log: silentLogger,
  });
  const opened = await run(steps.openReconciliation, `reconciliation-${randomUUID()}`);
  let after: string | null = null;
  let checked = 0;
  do {
    const page: ReconciliationPage = await run(steps.reconcileFaxes, opened.reportId, after);
    checked += page.checked;
    after = page.next;
  } while (after);
  const summary = await run(steps.closeReconciliation, opened.reportId, checked);
  expect(summary).toMatchObject({ faxesChecked: 5, findings: 0 });
  expect(await reports.findingsOf([opened.reportId], 100)).toEqual([]);

  // The same faxes, one of them then put out of step by hand, are found.
  await h.db.query(`UPDATE fax SET payment_state = 'captured', amount_refunded = 0, updated_at = now() - interval '10 minutes' WHERE id = $1`, [refunded]);
  const again = await run(steps.openReconciliation, `reconciliation-${randomUUID()}`);
  let next: string | null = null;
  do {
    const page: ReconciliationPage = await run(steps.reconcileFaxes, again.reportId, next);
    next = page.next;
  } while (next);
  expect((await reports.findingsOf([again.reportId], 100)).map((f) => [f.faxId, f.code])).toEqual([[refunded, 'refund_unrecorded']]);

  for (const id of ids) await env.client.workflow.getHandle(faxWorkflowId(id)).terminate('test finished');
});
