import type { Server } from 'node:http';
import { loadConfig } from '../config/config';
import { createDataSource } from '../db/data-source';
import { PostgresDocumentStore } from '../db/document-store';
import { createLogger } from '../log';
import { portInUse } from '../net';
import { createPayments } from '../payments/stripe-payments';
import { connectClient } from '../temporal/connection';
import { createApp } from './app';
import { FaxChanges } from './fax-changes';
import { TemporalFaxWorkflows } from './fax-workflows';
import { supportStartUp } from './support/start-up';
import { TemporalSupportWorkflows } from './support/support-workflows';
import { TemporalFaxSignals } from './temporal-signals';

/** `durafax web`: pages, API, webhooks. Stateless: run several behind a load balancer. */
export async function run(): Promise<void> {
  const config = loadConfig('web');
  const log = createLogger('web', config.logLevel);
  if (await portInUse(config.web.port, config.web.host)) {
    throw new Error(`port ${config.web.port} on ${config.web.host} is already in use; set PORT to another port`);
  }
  const db = createDataSource({ url: config.databaseUrl, poolSize: 20, applicationName: 'durafax-web' });
  await db.initialize();
  const client = await connectClient(config.temporal);
  const changes = new FaxChanges(config.databaseUrl, log);
  const app = createApp({
    changes,
    config,
    db,
    store: new PostgresDocumentStore(db),
    workflows: new TemporalFaxWorkflows(client, config.temporal.taskQueue),
    support: new TemporalSupportWorkflows(client),
    signals: new TemporalFaxSignals(client),
    payments: createPayments(config.stripe),
    log,
    readiness: {
      database: async () => {
        await db.query('SELECT 1');
      },
      temporal: async () => {
        await client.workflowService.getSystemInfo({});
      },
    },
  });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(config.web.port, config.web.host, () => resolve(s));
  });
  log.info('web listening', { url: config.web.publicBaseUrl, host: config.web.host, port: config.web.port });
  await supportStartUp(db, config, log);

  await new Promise<void>((resolve) => {
    const stop = (signal: string): void => {
      log.info('web stopping', { signal });
      // Finish requests in flight, refuse new ones; idle keep-alive connections close now.
      server.close(() => resolve());
      server.closeIdleConnections();
      setTimeout(() => server.closeAllConnections(), 10_000).unref();
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
  await changes.stop();
  await client.connection.close();
  await db.destroy();
  log.info('web stopped');
}
