import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Client as TemporalClient, Connection } from '@temporalio/client';
import { Client } from 'pg';
import Stripe from 'stripe';
import { freePort, portInUse } from '../../src/net';
import { faxWorkflowId } from '../../src/workflows/contract';
import { createFax, makePdf, openCheckout, payByCard, readFax, waitForFax } from '../helpers/sender';

/**
 * The whole product through `npm start`'s processes: embedded PostgreSQL, the engine, the
 * sandboxes, the worker and the web, started by the supervisor exactly as a developer does.
 */
const CLI = path.resolve(__dirname, '..', '..', 'dist', 'cli', 'index.js');

let supervisor: ChildProcess;
let output = '';
let dataDir: string;
const ports: Record<string, number> = {};
let baseUrl: string;

/** `supervised`: started as a parent that watches it starts it (a bench, a test, another supervisor): stdin a pipe whose end says the parent is gone. */
async function startSupervisor(supervised = false): Promise<void> {
  output = '';
  supervisor = spawn(process.execPath, [CLI, 'start'], {
    env: {
      ...process.env,
      DATABASE_URL: '',
      TEMPORAL_ADDRESS: '',
      DURAFAX_DATA_DIR: dataDir,
      PORT: String(ports.web),
      ENGINE_PORT: String(ports.engine),
      PG_PORT: String(ports.pg),
      STRIPE_TWIN_PORT: String(ports.stripe),
      CARRIER_TWIN_PORT: String(ports.carrier),
      SMTP_TWIN_PORT: String(ports.smtp),
      UI_PORT: String(ports.ui),
      SANDBOX_MS_PER_PAGE: '20',
      STATUS_POLL_INTERVAL: '2s',
      ...(supervised ? { DURAFAX_SUPERVISED: '1' } : {}),
    },
    stdio: [supervised ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    // A process group of its own, as a terminal's foreground job: Ctrl-C goes to the whole group.
    detached: true,
  });
  supervisor.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  supervisor.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const deadline = Date.now() + 90_000;
  while (!output.includes('[durafax] ready:')) {
    if (supervisor.exitCode !== null) throw new Error(`npm start's supervisor exited:\n${output}`);
    if (Date.now() > deadline) throw new Error(`not ready after 90 s:\n${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function stopSupervisor(): Promise<number | null> {
  if (supervisor.exitCode !== null) return supervisor.exitCode;
  const exited = new Promise<number | null>((resolve) => supervisor.once('exit', (code) => resolve(code)));
  // As a terminal's Ctrl-C: to the whole group, the embedded PostgreSQL with it.
  process.kill(-supervisor.pid!, 'SIGINT');
  const timer = setTimeout(() => supervisor.kill('SIGKILL'), 45_000);
  const code = await exited;
  clearTimeout(timer);
  return code;
}

beforeAll(async () => {
  dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'durafax-e2e-'));
  await fs.chmod(dataDir, 0o755);
  for (const name of ['web', 'engine', 'pg', 'stripe', 'carrier', 'smtp', 'ui']) ports[name] = await freePort();
  baseUrl = `http://localhost:${ports.web}`;
  // The Temporal UI's build (once, then reused) is not part of the 90 s start-up budget.
  expect(spawnSync(process.execPath, [path.resolve(__dirname, '..', '..', 'scripts', 'ui.js'), 'build'], { stdio: 'inherit' }).status).toBe(0);
  await startSupervisor();
}, 240_000);

afterAll(async () => {
  if (supervisor) await stopSupervisor();
  await fs.rm(dataDir, { recursive: true, force: true });
}, 60_000);

test('upload → quote → pay through the Stripe sandbox → delivered once and captured once', async () => {
  expect(output).toContain(`ready: open ${baseUrl}, Temporal UI at http://127.0.0.1:${ports.ui}`);
  // A fresh start has nothing to warn of: an operator's first look finds no warning and no error.
  expect(output.split('\n').filter((line) => /"level":"(warn|error)"/.test(line))).toEqual([]);
  const fax = await createFax(baseUrl, '+49 30 1234567', await makePdf(2));
  const quoted = await waitForFax(baseUrl, fax, (f) => f.status === 'awaiting_payment');
  expect(quoted.pages).toBe(2);
  expect(quoted.price).toEqual(expect.objectContaining({ amount: 99 + 2 * 79, currency: 'eur' }));
  // No checkout until the sender asks to pay.
  expect(quoted.payment.checkoutUrl).toBeNull();
  // What support sees in the Temporal UI's stack trace: the worker runs the lean prebuilt bundle
  // (src/worker/bundle.ts), whose source map still leads to the TypeScript lines.
  const connection = await Connection.connect({ address: `127.0.0.1:${ports.engine}` });
  try {
    const stack = await new TemporalClient({ connection }).workflow.getHandle(faxWorkflowId(fax.id)).query<string>('__stack_trace');
    expect(stack).toMatch(/src\/workflows\/[\w-]+\.ts:\d+:\d+/);
    expect(stack).not.toContain('workflow-bundle');
  } finally {
    await connection.close();
  }
  const checkoutUrl = await openCheckout(baseUrl, fax);
  expect(checkoutUrl).toContain(`127.0.0.1:${ports.stripe}`);

  // The browser lands on the app's success URL, which verifies the hold and redirects to the status page.
  expect(await payByCard(checkoutUrl)).toBe(303);
  const delivered = await waitForFax(baseUrl, fax, (f) => f.status === 'delivered' && f.payment.state === 'captured');
  expect(delivered.attempts).toEqual([expect.objectContaining({ number: 1, status: 'delivered', pagesSent: 2 })]);

  // Ask the Stripe sandbox itself, through the official library: one capture of the quoted amount.
  const db = new Client({ connectionString: `postgres://durafax:durafax@127.0.0.1:${ports.pg}/durafax` });
  await db.connect();
  const { rows } = await db.query<{ payment_intent_id: string; amount_captured: number }>('SELECT payment_intent_id, amount_captured FROM fax WHERE id = $1', [fax.id]);
  await db.end();
  expect(rows[0].amount_captured).toBe(257);
  const stripe = new Stripe('sk_test_e2e', { host: '127.0.0.1', port: ports.stripe, protocol: 'http' });
  const intent = await stripe.paymentIntents.retrieve(rows[0].payment_intent_id);
  expect(intent).toMatchObject({ status: 'succeeded', amount_received: 257, metadata: { fax_id: fax.id } });
}, 120_000);

test('a busy line is retried by the workflow, then delivered', async () => {
  const fax = await createFax(baseUrl, '+49 30 12340001', await makePdf(1));
  await waitForFax(baseUrl, fax, (f) => f.status === 'awaiting_payment');
  await payByCard(await openCheckout(baseUrl, fax));
  // The sandbox number is busy twice; retries wait RETRY_DELAY (5 minutes by default), so the
  // fax is seen retrying with the carrier's reason.
  const retrying = await waitForFax(baseUrl, fax, (f) => f.status === 'retrying');
  expect(retrying.attempts[0]).toMatchObject({ status: 'failed', reason: 'busy' });
  expect(retrying.payment.state).toBe('authorized');
}, 120_000);

test('everything stops on Ctrl-C, and the data is still there after a restart', async () => {
  const fax = await createFax(baseUrl, '+49 30 1234567', await makePdf(1));
  await waitForFax(baseUrl, fax, (f) => f.status === 'awaiting_payment');
  const before = output.length;
  const code = await stopSupervisor();
  if (code !== 0)
    process.stderr.write(
      output
        .split('\n')
        .filter((l) => !l.includes('"request"'))
        .slice(-30)
        .join('\n'),
    );
  expect(code).toBe(0);
  expect(output).toContain('[durafax] stopped');
  // In order, PostgreSQL last: nobody lost its database while finishing (PostgreSQL, in a group
  // of its own, is not reached by the Ctrl-C), so nothing warns.
  expect(
    output
      .slice(before)
      .split('\n')
      .filter((line) => /"level":"(warn|error)"|terminating connection/.test(line)),
  ).toEqual([]);
  for (const port of Object.values(ports)) expect(await portInUse(port)).toBe(false);

  await startSupervisor(true);
  const again = await readFax(baseUrl, fax);
  expect(again.status).toBe('awaiting_payment');
  // The workflow survived the engine's restart: paying now still sends the fax.
  await payByCard(await openCheckout(baseUrl, fax));
  await waitForFax(baseUrl, fax, (f) => f.status === 'delivered' && f.payment.state === 'captured');
}, 180_000);

test('when whoever started it is gone, everything stops, though nobody reads its output any more', async () => {
  const postmaster = Number((await fs.readFile(path.join(dataDir, 'postgres', 'postmaster.pid'), 'utf8')).split('\n')[0]);
  const exited = new Promise<number | null>((resolve) => supervisor.once('exit', (code) => resolve(code)));
  // As when the parent is killed outright: its ends of the pipes close. The supervisor's
  // writes then fail; before, each failure was an uncaught error reported to the same closed
  // output, and the supervisor spun on them without ever stopping its children.
  supervisor.stdout!.destroy();
  supervisor.stderr!.destroy();
  supervisor.stdin!.destroy();
  const timer = setTimeout(() => supervisor.kill('SIGKILL'), 45_000);
  const code = await exited;
  clearTimeout(timer);
  expect(code).toBe(0);
  for (const port of Object.values(ports)) expect(await portInUse(port)).toBe(false);
  expect(() => process.kill(postmaster, 0)).toThrow();
}, 60_000);

test('after a supervisor killed outright, the next start stops the PostgreSQL it left and starts as usual', async () => {
  await startSupervisor(true);
  const postmaster = Number((await fs.readFile(path.join(dataDir, 'postgres', 'postmaster.pid'), 'utf8')).split('\n')[0]);
  const killed = new Promise<void>((resolve) => supervisor.once('exit', () => resolve()));
  supervisor.kill('SIGKILL');
  await killed;
  // Its children see their supervisor gone and stop; PostgreSQL cannot, and keeps its port.
  const deadline = Date.now() + 30_000;
  for (const name of ['web', 'engine', 'stripe', 'ui']) {
    while (await portInUse(ports[name])) {
      if (Date.now() > deadline) throw new Error(`port ${name} still in use after the supervisor was killed`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  expect(() => process.kill(postmaster, 0)).not.toThrow();
  expect(await portInUse(ports.pg)).toBe(true);

  await startSupervisor();
  expect(output).toContain(`stopped the PostgreSQL an earlier run left running (pid ${postmaster}`);
  expect(output).toContain('[durafax] ready:');
  expect(() => process.kill(postmaster, 0)).toThrow();
}, 180_000);
