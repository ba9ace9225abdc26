import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import type { Server } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { loadConfig, type Config } from '../../src/config/config';
import { RATE_KINDS } from '../../src/config/rate-limits';
import { PostgresDocumentStore } from '../../src/db/document-store';
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
import { readLedger } from '../helpers/ledger';
import type { Ledger } from '../helpers/invariants';

/**
 * The product end to end on loopback, for tests that need all of it: the engine and the
 * worker as processes (from dist/, as `durafax start` runs them), the web tier in the test's
 * own process (createApp, listening), the Stripe and carrier twins in-process, and the
 * test's own database. Short policy windows so that faxes close within a test.
 */
const CLI = path.resolve(__dirname, '..', '..', 'dist', 'cli', 'index.js');
export const WEBHOOK_SECRET = 'whsec_e2e_harness';

export interface E2eOptions {
  /** Settings for the worker and the web on top of the harness's (policy, metrics). */
  env?: Record<string, string>;
  /** The carrier twin's transmission time per page. */
  msPerPage?: number;
  /** Where the twins send their webhooks instead of the web (`<base>/webhooks/stripe`, `…/telnyx`). */
  webhookBase?: string;
}

export interface E2eStack {
  baseUrl: string;
  config: Config;
  t: TestDatabase;
  stripeTwin: StripeTwin;
  carrierTwin: CarrierTwin;
  temporal: Client;
  /** The worker's /metrics, when WORKER_METRICS_PORT was given. */
  workerMetricsUrl: string | null;
  /** The worker's output so far, for failure messages. */
  workerOutput(): string;
  ledger(): Promise<Ledger>;
  stop(): Promise<void>;
}

async function connect(address: string): Promise<Connection> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      return await Connection.connect({ address, connectTimeout: '1s' });
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

/** `durafax worker`, logging at info so its start (and its metrics address) can be read. */
async function startWorker(env: NodeJS.ProcessEnv): Promise<{ worker: ChildProcess; output: () => string }> {
  let output = '';
  const worker = spawn(process.execPath, [CLI, 'worker'], { env: { ...env, LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'pipe'] });
  await new Promise<void>((resolve, reject) => {
    const onData = (d: Buffer): void => {
      output += d.toString();
      if (output.includes('"worker started"')) resolve();
    };
    worker.stdout.on('data', onData);
    worker.stderr.on('data', onData);
    worker.once('exit', (code) => reject(new Error(`the worker exited (${code}):\n${output.slice(-3000)}`)));
  });
  return { worker, output: () => output };
}

export async function startE2eStack(opts: E2eOptions = {}): Promise<E2eStack> {
  const t = await createTestDatabase();
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'durafax-e2e-'));
  const [enginePort, webPort] = [await freePort(), await freePort()];
  const engine = spawn(process.execPath, [CLI, 'engine', '--port', String(enginePort), '--data-dir', path.join(dataDir, 'engine'), ...ENGINE_SEARCH_ATTRIBUTE_FLAGS], {
    stdio: 'ignore',
  });
  const baseUrl = `http://127.0.0.1:${webPort}`;
  const webhookBase = opts.webhookBase ?? baseUrl;
  const stripeTwin = await startStripeTwin({ port: 0, webhookUrl: `${webhookBase}/webhooks/stripe`, webhookSecret: WEBHOOK_SECRET, log: silentLogger });
  const carrierTwin = await startCarrierTwin({ port: 0, webhookUrl: `${webhookBase}/webhooks/telnyx`, msPerPage: opts.msPerPage ?? 20 });
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DURAFAX_SANDBOX: '1',
    DATABASE_URL: t.url,
    TEMPORAL_ADDRESS: `127.0.0.1:${enginePort}`,
    TEMPORAL_TASK_QUEUE: `e2e-${randomUUID()}`,
    STRIPE_API_BASE: stripeTwin.url,
    STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
    TELNYX_API_BASE: carrierTwin.url,
    TELNYX_PUBLIC_KEY: carrierTwin.publicKey,
    PUBLIC_BASE_URL: baseUrl,
    PORT: String(webPort),
    APP_SECRET: randomBytes(32).toString('hex'),
    STATUS_POLL_INTERVAL: '1s',
    RETRY_DELAY: '1s',
    RETENTION: '2s',
    LOG_LEVEL: 'warn',
    RATE_LIMITS: RATE_KINDS.map((kind) => `${kind}=1000000/1h`).join(','),
    ...opts.env,
  };
  const config = loadConfig('web', env);
  const connection = await connect(config.temporal.address);
  const temporal = new Client({ connection });
  const { worker, output } = await startWorker(env);
  const metricsLine = /"worker metrics listening","url":"([^"]+)"/.exec(output());

  const app = createApp({
    config,
    db: t.db,
    store: new PostgresDocumentStore(t.db),
    workflows: new TemporalFaxWorkflows(temporal, config.temporal.taskQueue, config.web.dependencyTimeoutMs),
    support: new TemporalSupportWorkflows(temporal),
    signals: new TemporalFaxSignals(temporal, config.web.dependencyTimeoutMs),
    payments: createPayments(config.stripe),
    log: silentLogger,
    readiness: {},
  });
  const server: Server = app.listen(webPort, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));

  return {
    baseUrl,
    config,
    t,
    stripeTwin,
    carrierTwin,
    temporal,
    workerMetricsUrl: metricsLine?.[1] ?? null,
    workerOutput: output,
    ledger: () => readLedger({ databaseUrl: t.url, stripeUrl: stripeTwin.url, carrierUrl: carrierTwin.url, temporal }),
    stop: async () => {
      const gone = new Promise((r) => worker.once('exit', r));
      if (worker.exitCode === null) worker.kill('SIGKILL');
      await gone;
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await connection.close();
      await stripeTwin.stop();
      await carrierTwin.stop();
      engine.kill('SIGKILL');
      await t.drop();
      await fs.rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Polls until `check` holds, or fails naming `what`. */
export async function until(check: () => Promise<boolean> | boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
