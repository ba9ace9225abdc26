import fs from 'node:fs';
import type { Server } from 'node:http';
import path from 'node:path';
import { loadConfig, type Config } from '../config/config';
import type { DataSource } from 'typeorm';
import { createLogger, type Logger } from '../log';
import { portInUse } from '../net';
import { connectTemporal } from '../temporal/connection';
import type { AccessMode, SupportAccess } from './access';
import { createUiApp } from './app';

/** Where `npm run build` puts the built UI (scripts/ui.js), beside dist/. */
const UI_BUILD_DIR = path.resolve(__dirname, '..', '..', 'ui', 'build');

/** What the build recorded about itself (scripts/ui.js writes it). */
function readBuildInfo(dir: string): { uiVersion: string } {
  const file = path.join(dir, 'durafax-ui.json');
  if (!fs.existsSync(path.join(dir, 'index.html')) || !fs.existsSync(file)) {
    throw new Error(`the Temporal UI is not built (${dir}): run \`npm run build\``);
  }
  return JSON.parse(fs.readFileSync(file, 'utf8')) as { uiVersion: string };
}

/**
 * Outside sandbox mode, who may come in: holders of the operator token, and support staff
 * signed in to the support pages when the UI can read their sessions (DATABASE_URL and
 * SUPPORT_USERS set).
 */
function accessOf(config: Config, support: SupportAccess | undefined): AccessMode {
  if (config.sandbox) return { kind: 'sandbox' };
  const token = config.ui.operatorToken;
  if (token) return { kind: 'token', token, support };
  if (support) return { kind: 'support', support };
  throw new Error('the Temporal UI needs UI_OPERATOR_TOKEN, or DATABASE_URL and SUPPORT_USERS');
}

/**
 * Support staff's sessions, read from the database, when the UI may let them in (outside
 * sandbox mode, with DATABASE_URL and SUPPORT_USERS). The database code is loaded only then: a
 * sandbox's UI, inside `durafax start`, has no use for TypeORM and its drivers (about 8 MB).
 */
export async function supportSessions(config: Config): Promise<{ support: SupportAccess; db: DataSource } | undefined> {
  if (config.sandbox || !config.databaseUrl || !config.support.users.length) return undefined;
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { createDataSource } = require('../db/data-source') as typeof import('../db/data-source');
  const { SupportSignIn } = require('../support/sign-in') as typeof import('../support/sign-in');
  /* eslint-enable @typescript-eslint/no-require-imports */
  const db = createDataSource({ url: config.databaseUrl, poolSize: 2, applicationName: 'durafax-ui' });
  await db.initialize();
  const signIn = new SupportSignIn(db, { users: config.support.users, sandbox: false });
  return {
    db,
    support: { session: async (cookie) => (await signIn.session(cookie))?.username ?? null, signInUrl: `${config.web.publicBaseUrl}/en/support/login` },
  };
}

export interface RunningUi {
  url: string;
  stop(): Promise<void>;
}

/**
 * The official Temporal UI and its HTTP API, listening, over whatever Temporal frontend
 * TEMPORAL_ADDRESS names (the embedded engine or a real server), connected as the worker is.
 * `durafax start` runs it in its own process.
 */
export async function startUi(config: Config, log: Logger): Promise<RunningUi> {
  const { host, port, operatorToken } = config.ui;
  const build = readBuildInfo(UI_BUILD_DIR);
  if (await portInUse(port, host)) throw new Error(`port ${port} on ${host} is already in use; set UI_PORT to another port`);
  const connection = await connectTemporal(config.temporal);
  const sessions = await supportSessions(config);
  const support = sessions?.support;
  const app = createUiApp({
    connection,
    defaultNamespace: config.temporal.namespace,
    staticDir: UI_BUILD_DIR,
    uiVersion: build.uiVersion,
    access: accessOf(config, support),
    // As the web tier: in production TLS ends at a proxy in front of both.
    proxy: config.production,
    log,
  });
  const server: Server = await new Promise((resolve, reject) => {
    const s = app.listen(port, host, () => resolve(s));
    s.once('error', reject);
  });
  const shown = host.includes(':') ? `[${host}]` : host;
  const url = `http://${shown}:${port}`;
  const access = config.sandbox ? 'sandbox (loopback, no login)' : [operatorToken ? 'operator token' : '', support ? 'support sessions' : ''].filter(Boolean).join(' or ');
  log.info('ui listening', { url, temporal: config.temporal.address, access });
  return {
    url,
    stop: async () => {
      // Long polls (history of a running workflow) would hold the close: cut them.
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
      await connection.close();
      await sessions?.db.destroy();
      log.info('ui stopped');
    },
  };
}

/** `durafax ui`: the Temporal UI (startUi) until SIGINT or SIGTERM. */
export async function run(): Promise<void> {
  const config = loadConfig('ui');
  const log = createLogger('ui', config.logLevel);
  const ui = await startUi(config, log);
  const signal = await new Promise<string>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
  log.info('ui stopping', { signal });
  await ui.stop();
}
