import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import request from 'supertest';
import { Reconciliations } from '../../src/db/reconciliations';
import { createLogger, silentLogger } from '../../src/log';
import { createUiApp } from '../../src/ui/app';
import { TemporalSupportWorkflows } from '../../src/web/support/support-workflows';
import { ensureReconciliationSchedule } from '../../src/worker/schedules';
import { RECONCILIATION_SCHEDULE_ID, type ReconciliationSummary } from '../../src/workflows/reconciliation-contract';
import { insertFax, startHarness, type Harness } from '../activities/harness';
import { createTimeSkippingEnv } from '../helpers/temporal';
import { workflowsPath } from './harness';

/**
 * The reconciliation's schedule and workflow on the engine, in virtual time, with the worker's
 * real activities (PostgreSQL, and the Stripe and carrier twins behind the real adapters).
 */
let env: TestWorkflowEnvironment;
let h: Harness;
const taskQueue = `reconcile-${randomUUID()}`;
const lines: Array<Record<string, unknown>> = [];
const log = createLogger('test', 'info', (line) => lines.push(JSON.parse(line) as Record<string, unknown>));

beforeAll(async () => {
  env = await createTimeSkippingEnv();
  h = await startHarness();
});
afterAll(async () => {
  await env?.teardown();
  await h?.stop();
});

async function scheduleIds(client: Client): Promise<string[]> {
  const ids: string[] = [];
  for await (const s of client.schedule.list()) ids.push(s.scheduleId);
  return ids;
}

/** The workflows the schedule started, oldest first. */
async function started(): Promise<string[]> {
  const ids: string[] = [];
  for await (const w of env.client.workflow.list({ query: `TemporalScheduledById = '${RECONCILIATION_SCHEDULE_ID}'` })) ids.push(w.workflowId);
  return ids.sort();
}

/** Waits (briefly, in real time) for the schedule's `n`th workflow, and for its result. */
async function nthRun(n: number): Promise<{ workflowId: string; summary: ReconciliationSummary }> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const ids = await started();
    if (ids.length >= n) {
      const workflowId = ids[n - 1];
      return { workflowId, summary: await env.client.workflow.getHandle(workflowId).result() };
    }
    if (Date.now() > deadline) throw new Error(`the schedule started ${ids.length} workflows, not ${n}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('starting workers creates the schedule once, updates it when its time changes, and leaves it alone otherwise', async () => {
  const at = { hour: 3, minute: 30, timeZone: 'UTC' };
  // Two workers starting at once: one creates it, the other finds it as it should be.
  const outcomes = await Promise.all([ensureReconciliationSchedule(env.client, { at, taskQueue, log }), ensureReconciliationSchedule(env.client, { at, taskQueue, log })]);
  expect(outcomes.sort()).toEqual(['created', 'unchanged']);
  expect((await scheduleIds(env.client)).filter((id) => id === RECONCILIATION_SCHEDULE_ID)).toHaveLength(1);

  const handle = env.client.schedule.getHandle(RECONCILIATION_SCHEDULE_ID);
  let described = await handle.describe();
  expect(described.policies).toMatchObject({ overlap: 'SKIP', catchupWindow: 12 * 3600_000 });
  expect(described.action).toMatchObject({ type: 'startWorkflow', workflowType: 'reconciliationWorkflow', taskQueue });

  expect(await ensureReconciliationSchedule(env.client, { at: { hour: 4, minute: 15, timeZone: 'Europe/Berlin' }, taskQueue, log })).toBe('updated');
  described = await handle.describe();
  expect(described.spec.timezone).toBe('Europe/Berlin');
  expect(described.spec.calendars?.[0]).toMatchObject({ hour: [{ start: 4, end: 4, step: 1 }], minute: [{ start: 15, end: 15, step: 1 }] });
  expect(await ensureReconciliationSchedule(env.client, { at: { hour: 4, minute: 15, timeZone: 'Europe/Berlin' }, taskQueue, log })).toBe('unchanged');

  expect(await ensureReconciliationSchedule(env.client, { at, taskQueue, log })).toBe('updated');
  expect((await scheduleIds(env.client)).filter((id) => id === RECONCILIATION_SCHEDULE_ID)).toHaveLength(1);
  expect(new Date((await handle.describe()).info.nextActionTimes[0]).toISOString()).toMatch(/T03:30:00\.000Z$/);
});

test('the schedule fires at its time and the run writes its report; support’s trigger starts another; switched off, there is nothing to trigger', async () => {
  // A fax cancelled here whose payment Stripe has never heard of.
  const fax = await insertFax(h.db, { status: 'cancelled', paymentState: 'released', paymentIntentId: 'pi_lost_somewhere', priceAmount: 178, currency: 'eur' });
  await h.db.query(`UPDATE fax SET updated_at = now() - interval '10 minutes' WHERE id = $1`, [fax.id]);
  const reports = new Reconciliations(h.db);

  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowsPath,
    activities: h.activities,
  });
  await worker.runUntil(async () => {
    expect(await started()).toEqual([]);
    const next = new Date((await env.client.schedule.getHandle(RECONCILIATION_SCHEDULE_ID).describe()).info.nextActionTimes[0]).getTime();
    await env.sleep(next - (await env.currentTimeMs()) + 60_000);

    const first = await nthRun(1);
    expect(first.workflowId).toMatch(/^reconciliation-\d{4}-\d\d-\d\dT03:30:00Z$/);
    expect(first.summary.findings).toBeGreaterThanOrEqual(1);
    const report = await reports.get(first.summary.reportId);
    expect(report).toMatchObject({ workflowId: first.workflowId, faxesChecked: first.summary.faxesChecked });
    expect(report!.completedAt).toBeInstanceOf(Date);
    const findings = await reports.findingsOf([first.summary.reportId], 100);
    expect(findings).toContainEqual(expect.objectContaining({ faxId: fax.id, code: 'payment_not_found' }));

    expect(await new TemporalSupportWorkflows(env.client).reconcileNow()).toBe('triggered');
    const second = await nthRun(2);
    expect(second.summary.reportId).not.toBe(first.summary.reportId);
    expect((await reports.latest(10)).map((r) => r.workflowId)).toEqual([second.workflowId, first.workflowId]);

    // The Temporal UI's schedule page triggers it through the UI server's API (PatchSchedule), as its Trigger button does.
    // A run's id names its time to the second: a second later, so the two triggered runs differ.
    await env.sleep(2000);
    const staticDir = fs.mkdtempSync(path.join(os.tmpdir(), 'durafax-ui-static-'));
    try {
      fs.writeFileSync(path.join(staticDir, 'index.html'), '<!doctype html><title>Temporal UI</title>');
      const ui = createUiApp({
        connection: env.connection,
        defaultNamespace: 'default',
        staticDir,
        uiVersion: '2.38.0',
        access: { kind: 'sandbox' },
        log: silentLogger,
      }).callback();
      const csrf = /_csrf=([^;]+)/.exec(String((await request(ui).get('/')).headers['set-cookie']))?.[1] ?? '';
      const patched = await request(ui)
        .post(`/api/v1/namespaces/default/schedules/${RECONCILIATION_SCHEDULE_ID}/patch`)
        .set('Cookie', `_csrf=${csrf}`)
        .set('X-CSRF-TOKEN', csrf)
        .send({ patch: { triggerImmediately: { overlapPolicy: 'SCHEDULE_OVERLAP_POLICY_SKIP' } }, identity: 'temporal-ui', requestId: randomUUID() });
      expect(patched.status).toBe(200);
    } finally {
      fs.rmSync(staticDir, { recursive: true, force: true });
    }
    const third = await nthRun(3);
    expect((await reports.get(third.summary.reportId))?.workflowId).toBe(third.workflowId);
  });

  expect(await ensureReconciliationSchedule(env.client, { at: null, taskQueue, log })).toBe('deleted');
  expect(await scheduleIds(env.client)).not.toContain(RECONCILIATION_SCHEDULE_ID);
  expect(await new TemporalSupportWorkflows(env.client).reconcileNow()).toBe('off');
  expect(await ensureReconciliationSchedule(env.client, { at: null, taskQueue, log })).toBe('absent');
});
