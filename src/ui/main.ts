import fs from 'node:fs';
import type { Server } from 'node:http';
import path from 'node:path';
import { loadConfig } from '../config/config';
import { createLogger } from '../log';
import { portInUse } from '../net';
import { connectTemporal } from '../temporal/connection';
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
 * `durafax ui`: the official Temporal UI and its HTTP API, over whatever Temporal frontend
 * TEMPORAL_ADDRESS names (the embedded engine or a real server), connected as the worker is.
 */
export async function run(): Promise<void> {
  const config = loadConfig('ui');
  const log = createLogger('ui', config.logLevel);
  const { host, port, operatorToken } = config.ui;
  const build = readBuildInfo(UI_BUILD_DIR);
  if (await portInUse(port, host)) throw new Error(`port ${port} on ${host} is already in use; set UI_PORT to another port`);
  const connection = await connectTemporal(config.temporal);
  const app = createUiApp({
    connection,
    defaultNamespace: config.temporal.namespace,
    staticDir: UI_BUILD_DIR,
    uiVersion: build.uiVersion,
    access: config.sandbox ? { kind: 'sandbox' } : { kind: 'token', token: operatorToken ?? '' },
    log,
  });
  const server: Server = await new Promise((resolve, reject) => {
    const s = app.listen(port, host, () => resolve(s));
    s.once('error', reject);
  });
  const shown = host.includes(':') ? `[${host}]` : host;
  log.info('ui listening', { url: `http://${shown}:${port}`, temporal: config.temporal.address, access: config.sandbox ? 'sandbox (loopback, no login)' : 'operator token' });

  await new Promise<void>((resolve) => {
    const stop = (signal: string): void => {
      log.info('ui stopping', { signal });
      // Long polls (history of a running workflow) would hold the close: cut them.
      server.close(() => resolve());
      server.closeAllConnections();
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
  await connection.close();
  log.info('ui stopped');
}
