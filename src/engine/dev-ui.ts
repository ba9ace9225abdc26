import fs from 'node:fs';
import type { Server } from 'node:http';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import type { Logger } from '../log';

/** Where `npm run build` puts the built Temporal UI (scripts/ui.js), beside dist/. */
const UI_BUILD_DIR = path.resolve(__dirname, '..', '..', 'ui', 'build');

export interface DevUiOptions {
  /** The engine's gRPC address, which the UI's API maps onto. */
  address: string;
  namespace: string;
  host: string;
  port: number;
  log: Logger;
}

/**
 * The dev-server shape's Temporal UI (`server start-dev` serves one on `--ui-port`, port + 1000
 * by default, unless `--headless`): Durafax's own UI server, in this process so it ends with the
 * engine, open without login to loopback requests as in sandbox mode. Resolves to a function
 * that stops it.
 */
export async function serveDevUi(opts: DevUiOptions): Promise<() => Promise<void>> {
  const info = path.join(UI_BUILD_DIR, 'durafax-ui.json');
  if (!fs.existsSync(info)) throw new Error(`the Temporal UI is not built (${UI_BUILD_DIR}): run \`npm run build\`, or start with --headless`);
  const { uiVersion } = JSON.parse(fs.readFileSync(info, 'utf8')) as { uiVersion: string };
  // Loaded here, not at the top: an engine without a UI never loads Koa and the gateway.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { createUiApp } = require('../ui/app') as typeof import('../ui/app');
  const connection = await Connection.connect({ address: opts.address });
  const app = createUiApp({ connection, defaultNamespace: opts.namespace, staticDir: UI_BUILD_DIR, uiVersion, access: { kind: 'sandbox' }, log: opts.log });
  const server: Server = await new Promise((resolve, reject) => {
    const s = app.listen(opts.port, opts.host, () => resolve(s));
    s.once('error', reject);
  });
  opts.log.info('temporal ui listening', { url: `http://${opts.host.includes(':') ? `[${opts.host}]` : opts.host}:${opts.port}` });
  return async () => {
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      // Long polls (a running workflow's history) would hold the close: cut them.
      server.closeAllConnections();
    });
    await connection.close();
  };
}
