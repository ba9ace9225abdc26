/**
 * Support's actions end to end, through the real workflow: the web app (support pages, API,
 * payment redirect, carrier webhooks) on a port, a worker with the real activities, the
 * embedded engine, PostgreSQL, and the Stripe and carrier twins behind the real libraries.
 */
import http from 'node:http';
import { randomUUID } from 'node:crypto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import Stripe from 'stripe';
import request from 'supertest';
import { createActivities } from '../../src/activities';
import { loadConfig } from '../../src/config/config';
import { convertDocument } from '../../src/conversion';
import { Fax } from '../../src/db/entities/fax';
import { SupportActionRow } from '../../src/db/entities/support';
import { Faxes } from '../../src/db/faxes';
import { silentLogger } from '../../src/log';
import { freePort } from '../../src/net';
import { hashPassword } from '../../src/support/passwords';
import { createApp } from '../../src/web/app';
import { TemporalFaxWorkflows } from '../../src/web/fax-workflows';
import { TemporalSupportWorkflows } from '../../src/web/support/support-workflows';
import { TemporalFaxSignals } from '../../src/web/temporal-signals';
import { conversionTaskQueueOf } from '../../src/workflows/contract';
import { FAX_SEARCH_ATTRIBUTES } from '../../src/workflows/search-attributes';
import { POLICY, startHarness, type Harness } from '../activities/harness';
import { makePdf } from '../helpers/sender';
import { createLocalEnv } from '../helpers/temporal';
import { CARDS, CheckoutBrowser, WEBHOOK_SECRET } from '../helpers/stripe';

const PASSWORD = 'support password 1';
const DELIVERED = '+49 30 1234567';
let h: Harness;
let env: TestWorkflowEnvironment;
let workers: Worker[] = [];
let running: Promise<unknown>;
let server: http.Server;
let web: string;
const taskQueue = `support-${randomUUID()}`;

beforeAll(async () => {
  h = await startHarness({ msPerPage: 20 });
  env = await createLocalEnv({ searchAttributes: { ...FAX_SEARCH_ATTRIBUTES } });
  const port = await freePort();
  web = `http://127.0.0.1:${port}`;
  const config = loadConfig('web', {
    DURAFAX_SANDBOX: '1',
    DATABASE_URL: (h.db.options as { url: string }).url,
    TEMPORAL_ADDRESS: env.address,
    TEMPORAL_TASK_QUEUE: taskQueue,
    STRIPE_API_BASE: h.stripe.url,
    STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
    TELNYX_API_BASE: h.carrierTwin.url,
    TELNYX_PUBLIC_KEY: h.carrierTwin.publicKey,
    PUBLIC_BASE_URL: web,
    PORT: String(port),
    SUPPORT_USERS: `carol:${await hashPassword(PASSWORD)}`,
  });
  const activities = createActivities({
    db: h.db,
    store: h.store,
    payments: h.payments,
    carrier: h.carrier,
    convert: convertDocument,
    config: { policy: { ...POLICY, statusPollMs: 200 }, limits: config.limits, appSecret: config.appSecret, web: { publicBaseUrl: web } },
    log: silentLogger,
  });
  // As the worker runs them: the web starts faxes whose conversion is on a queue of its own.
  workers = [
    await Worker.create({ connection: env.nativeConnection, taskQueue, workflowsPath: require.resolve('../../src/workflows'), activities }),
    await Worker.create({
      connection: env.nativeConnection,
      taskQueue: conversionTaskQueueOf(taskQueue),
      activities: { convertDocument: (faxId: string) => activities.convertDocument(faxId) },
    }),
  ];
  running = Promise.all(workers.map((w) => w.run()));
  const app = createApp({
    config,
    db: h.db,
    store: h.store,
    workflows: new TemporalFaxWorkflows(env.client, taskQueue, config.web.dependencyTimeoutMs),
    support: new TemporalSupportWorkflows(env.client),
    signals: new TemporalFaxSignals(env.client, config.web.dependencyTimeoutMs),
    payments: h.payments,
    log: silentLogger,
    readiness: {},
  });
  server = http.createServer(app.callback());
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
}, 120_000);

afterAll(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  for (const w of workers) w.shutdown();
  await running;
  await env?.teardown();
  await h?.stop();
}, 60_000);

const stripe = (): Stripe => {
  const url = new URL(h.stripe.url);
  return new Stripe('sk_test_support', { host: url.hostname, port: Number(url.port), protocol: 'http' });
};
const csrfOf = (html: string): string => /name="_csrf" value="([^"]+)"/.exec(html)?.[1] ?? '';
const faxRow = (id: string): Promise<Fax> => h.db.getRepository(Fax).findOneByOrFail({ id });

async function until(id: string, pred: (f: Fax) => boolean, what: string, timeoutMs = 60_000): Promise<Fax> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const fax = await faxRow(id);
    if (pred(fax)) return fax;
    if (Date.now() > deadline) throw new Error(`fax ${id} never became ${what}; it is ${fax.status}/${fax.paymentState}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A fax made through the API, as a sender's script would. */
async function createFax(to: string, email?: string): Promise<{ id: string; token: string }> {
  const form = new FormData();
  form.set('to', to);
  if (email) form.set('email', email);
  form.set('document', new Blob([await makePdf(1)], { type: 'application/pdf' }), 'letter.pdf');
  const res = await fetch(`${web}/api/faxes`, { method: 'POST', body: form });
  expect(res.status).toBe(201);
  return (await res.json()) as { id: string; token: string };
}

/** Asks for the fax's checkout as the Pay button does, pays it on the Stripe twin's page and follows the redirect back, as a browser does. */
async function pay(id: string): Promise<void> {
  await until(id, (f) => f.status === 'awaiting_payment', 'payable');
  const offer = await new TemporalFaxWorkflows(env.client, taskQueue, 10_000).checkout(id);
  expect(offer).not.toBeNull();
  const paid = await new CheckoutBrowser('en').pay(offer!.url, CARDS.visa);
  expect(paid.status).toBe(303);
  expect((await fetch(paid.location!, { redirect: 'manual' })).status).toBe(303);
}

async function supportAgent(): Promise<request.Agent> {
  const agent = request.agent(web);
  const page = await agent.get('/en/support/login');
  const res = await agent
    .post('/en/support/login')
    .type('form')
    .send({ _csrf: csrfOf(page.text), name: 'carol', password: PASSWORD });
  expect(res.status).toBe(303);
  return agent;
}

const actionsOf = (faxId: string): Promise<SupportActionRow[]> => h.db.getRepository(SupportActionRow).find({ where: { faxId }, order: { createdAt: 'ASC' } });

test('a refund clicked twice refunds once at Stripe, and both clicks are in the audit log', async () => {
  const { id } = await createFax(DELIVERED);
  await pay(id);
  const delivered = await until(id, (f) => f.status === 'delivered' && f.paymentState === 'captured', 'delivered and captured');
  const agent = await supportAgent();
  const token = csrfOf((await agent.get(`/en/support/faxes/${id}`)).text);
  const click = (): Promise<request.Response> => agent.post(`/en/support/faxes/${id}/refund`).type('form').send({ _csrf: token, reason: 'Sender asked for a refund' });
  const [a, b] = await Promise.all([click(), click()]);
  expect([a.status, b.status]).toEqual([303, 303]);

  const refunds = await stripe().refunds.list({ payment_intent: delivered.paymentIntentId! });
  expect(refunds.data).toHaveLength(1);
  expect(refunds.data[0]).toMatchObject({ amount: delivered.amountCaptured, status: 'succeeded' });
  expect(await faxRow(id)).toMatchObject({ status: 'delivered', paymentState: 'refunded', amountRefunded: delivered.amountCaptured });
  const audit = await actionsOf(id);
  expect(audit.map((r) => [r.kind, r.actor, r.outcome]).sort()).toEqual([
    ['refund', 'carol', 'already_done'],
    ['refund', 'carol', 'refunded'],
  ]);
  const page = await agent.get(`/en/support/faxes/${id}`);
  expect(page.text).toContain('had been done already; nothing was done twice');
  expect(page.text).toContain('Already refunded.');
  // The workflow's live state says so too.
  expect(page.text).toContain('<div><dt>Payment</dt><dd>Refunded</dd></div>');
});

test('a fax that failed is resent by support to the corrected number, free of charge, and delivered', async () => {
  const { id } = await createFax('+49 30 12340004');
  await pay(id);
  const failed = await until(id, (f) => f.status === 'failed' && f.paymentState === 'released', 'failed and released');
  expect(failed.failureReason).toBe('number_unallocated');
  const agent = await supportAgent();
  const token = csrfOf((await agent.get(`/en/support/faxes/${id}`)).text);
  const res = await agent.post(`/en/support/faxes/${id}/resend`).type('form').send({ _csrf: token, number: DELIVERED, reason: 'Sender typed 0004 for 4567' });
  expect(res.status).toBe(303);
  const [action] = await actionsOf(id);
  expect(action).toMatchObject({ kind: 'resend', outcome: 'resending', toNumber: '+49301234567', previousNumber: '+493012340004', actor: 'carol' });

  const resent = await until(id, (f) => f.status === 'delivered', 'delivered');
  expect(resent).toMatchObject({ toNumber: '+49301234567', paymentState: 'released', amountCaptured: 0, failureReason: null });
  const attempts = await new Faxes(h.db).attempts(id);
  expect(attempts.map((a) => [a.number, a.status, a.reason])).toEqual([
    [1, 'failed', 'number_unallocated'],
    [2, 'delivered', null],
  ]);
  const intent = await stripe().paymentIntents.retrieve(failed.paymentIntentId!);
  expect(intent.status).toBe('canceled');
  expect(intent.amount_received).toBe(0);
  const page = await agent.get(`/en/support/faxes/${id}`);
  expect(page.text).toContain('<p class="audit-outcome">queued to be sent again</p>');
  expect(page.text).toContain('From +49 30 12340004 to +49 30 1234567');
});

test('support cancels a fax awaiting payment through its workflow', async () => {
  const { id } = await createFax(DELIVERED);
  await until(id, (f) => f.status === 'awaiting_payment', 'awaiting payment');
  const agent = await supportAgent();
  const token = csrfOf((await agent.get(`/de/support/faxes/${id}`)).text);
  await agent.post(`/de/support/faxes/${id}/cancel`).type('form').send({ _csrf: token, reason: 'Absender bat telefonisch darum' });
  expect(await until(id, (f) => f.status === 'cancelled', 'cancelled')).toMatchObject({ failureReason: 'cancelled_by_support', paymentState: 'none' });
  expect((await actionsOf(id)).map((r) => r.outcome)).toEqual(['accepted']);
});

test('the sender sends a failed fax again to a corrected number: a new fax, its own quote and payment, linked to the first', async () => {
  const first = await createFax('+49 30 12340003', 'ada@example.org');
  await pay(first.id);
  await until(first.id, (f) => f.status === 'failed' && f.paymentState === 'released', 'failed');
  const sender = request.agent(web);
  const page = await sender.get(`/en/faxes/${first.id}?t=${first.token}`).redirects(1);
  expect(page.status).toBe(200);
  expect(page.text).toContain(`action="/en/faxes/${first.id}/send-again"`);
  const token = csrfOf(page.text);

  const invalid = await sender.post(`/en/faxes/${first.id}/send-again`).type('form').send({ _csrf: token, to: '+49 30 1' });
  expect(invalid.status).toBe(422);
  expect(invalid.text).toContain('Please check the number:');

  const sent = await sender.post(`/en/faxes/${first.id}/send-again`).type('form').send({ _csrf: token, to: DELIVERED });
  expect(sent.status).toBe(303);
  const againId = /^\/en\/faxes\/([0-9a-f-]{36})$/.exec(sent.headers.location)![1];
  expect(againId).not.toBe(first.id);
  // A second click (the same number) is the same new fax.
  const twice = await sender.post(`/en/faxes/${first.id}/send-again`).type('form').send({ _csrf: token, to: DELIVERED });
  expect(twice.headers.location).toBe(sent.headers.location);

  const again = await until(againId, (f) => f.status === 'awaiting_payment', 'quoted');
  const old = await faxRow(first.id);
  expect(again).toMatchObject({ resentFrom: first.id, toNumber: '+49301234567', email: 'ada@example.org', pages: old.pages, priceAmount: old.priceAmount });
  // The sender holds the new fax's cookie: its page opens without a link.
  expect((await sender.get(`/en/faxes/${againId}`)).status).toBe(200);
  await pay(againId);
  await until(againId, (f) => f.status === 'delivered' && f.paymentState === 'captured', 'delivered');
  expect(await faxRow(first.id)).toMatchObject({ status: 'failed', paymentState: 'released' });

  const agent = await supportAgent();
  expect((await agent.get(`/en/support/faxes/${first.id}`)).text).toContain(`href="/en/support/faxes/${againId}"`);
  expect((await agent.get(`/en/support/faxes/${againId}`)).text).toContain(`href="/en/support/faxes/${first.id}"`);
});
