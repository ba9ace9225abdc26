import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import type { Server } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import Stripe from 'stripe';
import { loadConfig } from '../../src/config/config';
import { PostgresDocumentStore } from '../../src/db/document-store';
import { Fax } from '../../src/db/entities/fax';
import { silentLogger } from '../../src/log';
import { freePort } from '../../src/net';
import { createPayments } from '../../src/payments/stripe-payments';
import { startCarrierTwin, type CarrierTwin } from '../../src/twins/carrier';
import { startStripeTwin, type StripeTwin } from '../../src/twins/stripe';
import { createApp } from '../../src/web/app';
import { TemporalFaxWorkflows } from '../../src/web/fax-workflows';
import { TemporalSupportWorkflows } from '../../src/web/support/support-workflows';
import { TemporalFaxSignals } from '../../src/web/temporal-signals';
import { ENGINE_SEARCH_ATTRIBUTE_FLAGS } from '../../src/workflows/search-attributes';
import { createTestDatabase, type TestDatabase } from '../helpers/db';
import { createFax, makePdf, openCheckout, payByCard, waitForFax } from '../helpers/sender';

/**
 * A worker killed with `kill -9` in the middle of a transmission: a new worker picks the
 * workflow up (the dead worker's sticky queue is abandoned), the carrier transmits the fax
 * exactly once, and the card is captured exactly once.
 */
const CLI = path.resolve(__dirname, '..', '..', 'dist', 'cli', 'index.js');
const WEBHOOK_SECRET = 'whsec_crash_test';

let t: TestDatabase;
let dataDir: string;
let engine: ChildProcess;
let stripeTwin: StripeTwin;
let carrierTwin: CarrierTwin;
let server: Server;
let connection: Connection;
let baseUrl: string;
let workerEnv: NodeJS.ProcessEnv;
const workers: ChildProcess[] = [];
let workerLog = '';

function startWorker(): ChildProcess {
  const worker = spawn(process.execPath, [CLI, 'worker'], { env: workerEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  worker.stdout.on('data', (d: Buffer) => (workerLog += d.toString()));
  worker.stderr.on('data', (d: Buffer) => (workerLog += d.toString()));
  workers.push(worker);
  return worker;
}

async function until(check: () => Promise<boolean> | boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${workerLog.slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

beforeAll(async () => {
  t = await createTestDatabase();
  dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'durafax-crash-'));
  const enginePort = await freePort();
  // As `durafax start` runs it: with the search attributes the fax workflow sets.
  engine = spawn(process.execPath, [CLI, 'engine', '--port', String(enginePort), '--data-dir', path.join(dataDir, 'engine'), ...ENGINE_SEARCH_ATTRIBUTE_FLAGS], {
    stdio: 'ignore',
  });
  const webPort = await freePort();
  baseUrl = `http://127.0.0.1:${webPort}`;
  stripeTwin = await startStripeTwin({ port: 0, webhookUrl: `${baseUrl}/webhooks/stripe`, webhookSecret: WEBHOOK_SECRET });
  carrierTwin = await startCarrierTwin({ port: 0, webhookUrl: `${baseUrl}/webhooks/telnyx`, msPerPage: 1500 });
  const appSecret = randomBytes(32).toString('hex');
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DURAFAX_SANDBOX: '1',
    DATABASE_URL: t.url,
    TEMPORAL_ADDRESS: `127.0.0.1:${enginePort}`,
    TEMPORAL_TASK_QUEUE: `crash-${randomUUID()}`,
    STRIPE_API_BASE: stripeTwin.url,
    STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
    TELNYX_API_BASE: carrierTwin.url,
    TELNYX_PUBLIC_KEY: carrierTwin.publicKey,
    PUBLIC_BASE_URL: baseUrl,
    PORT: String(webPort),
    APP_SECRET: appSecret,
    STATUS_POLL_INTERVAL: '1s',
    LOG_LEVEL: 'warn',
  };
  workerEnv = env;
  const config = loadConfig('web', env);

  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      connection = await Connection.connect({ address: config.temporal.address, connectTimeout: '1s' });
      break;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  const client = new Client({ connection });
  const app = createApp({
    config,
    db: t.db,
    store: new PostgresDocumentStore(t.db),
    workflows: new TemporalFaxWorkflows(client, config.temporal.taskQueue, config.web.dependencyTimeoutMs),
    support: new TemporalSupportWorkflows(client),
    signals: new TemporalFaxSignals(client, config.web.dependencyTimeoutMs),
    payments: createPayments(config.stripe),
    log: silentLogger,
    readiness: {},
  });
  server = app.listen(webPort, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
}, 60_000);

afterAll(async () => {
  for (const w of workers) if (w.exitCode === null) w.kill('SIGKILL');
  server?.close();
  await connection?.close();
  await stripeTwin?.stop();
  await carrierTwin?.stop();
  engine?.kill('SIGKILL');
  await t?.drop();
  await fs.rm(dataDir, { recursive: true, force: true });
}, 30_000);

test('kill -9 of the worker mid-transmission: delivered once, charged once', async () => {
  const first = startWorker();
  const fax = await createFax(baseUrl, '+49 30 5550199', await makePdf(2));
  await waitForFax(baseUrl, fax, (f) => f.status === 'awaiting_payment', 30_000);
  expect(await payByCard(await openCheckout(baseUrl, fax))).toBe(303);

  // The carrier is sending page 1 of 2 (1.5 s a page) when the worker dies.
  await waitForFax(baseUrl, fax, (f) => f.attempts[0]?.status === 'sending', 30_000);
  first.kill('SIGKILL');
  await new Promise((r) => first.once('exit', r));
  const carrierFaxId = (await t.db.getRepository(Fax).findOneByOrFail({ id: fax.id })).carrierFaxId!;
  await until(() => carrierTwin.fax(carrierFaxId)?.status === 'delivered', 'the carrier to finish');

  startWorker();
  const done = await waitForFax(baseUrl, fax, (f) => f.status === 'delivered' && f.payment.state === 'captured', 60_000);
  expect(done.attempts).toHaveLength(1);
  expect(done.attempts[0]).toMatchObject({ status: 'delivered', pagesSent: 2 });

  expect(carrierTwin.transmissions(fax.id)).toBe(1);
  const row = await t.db.getRepository(Fax).findOneByOrFail({ id: fax.id });
  expect(row.amountCaptured).toBe(257);
  const stripe = new Stripe('sk_test_crash', { host: '127.0.0.1', port: stripeTwin.port, protocol: 'http' });
  const intent = await stripe.paymentIntents.retrieve(row.paymentIntentId!);
  expect(intent).toMatchObject({ status: 'succeeded', amount_received: 257 });
  const captures = stripeTwin.events('charge.captured').filter((e) => (e.data.object as { payment_intent?: string }).payment_intent === row.paymentIntentId);
  expect(captures).toHaveLength(1);
}, 120_000);
