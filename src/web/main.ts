import type { Server } from 'node:http';
import { loadConfig } from '../config/config';
import { createDataSource } from '../db/data-source';
import { PostgresDocumentStore } from '../db/document-store';
import { Faxes } from '../db/faxes';
import { createLogger } from '../log';
import { startIdleTrim } from '../memory-trim';
import { portInUse } from '../net';
import { createPayments } from '../payments/stripe-payments';
import { connectClient } from '../temporal/connection';
import { createApp } from './app';
import { FaxChanges } from './fax-changes';
import { SPOOL_PREFIX } from './multipart';
import { sweepStaleFolders } from '../stale-folders';
import { TemporalFaxWorkflows } from './fax-workflows';
import { supportStartUp } from './support/start-up';
import { TemporalSupportWorkflows } from './support/support-workflows';
import { TemporalFaxSignals } from './temporal-signals';
import { WorkflowStarter } from './workflow-starter';

/** Node's answers to requests it could not read (the rest are 400). */
const CLIENT_ERROR_STATUS: Record<string, string> = {
  ERR_HTTP_REQUEST_TIMEOUT: '408 Request Timeout',
  HPE_HEADER_OVERFLOW: '431 Request Header Fields Too Large',
};

/** `durafax web`: pages, API, webhooks. Stateless: run several behind a load balancer. */
export async function run(): Promise<void> {
  const config = loadConfig('web');
  const log = createLogger('web', config.logLevel);
  if (await portInUse(config.web.port, config.web.host)) {
    throw new Error(`port ${config.web.port} on ${config.web.host} is already in use; set PORT to another port`);
  }
  const db = createDataSource({ url: config.databaseUrl, poolSize: 20, applicationName: 'durafax-web', timeoutMs: config.web.dependencyTimeoutMs });
  await db.initialize();
  const client = await connectClient(config.temporal);
  const changes = new FaxChanges(config.databaseUrl, log);
  const workflows = new TemporalFaxWorkflows(client, config.temporal.taskQueue, config.web.dependencyTimeoutMs);
  const app = createApp({
    changes,
    config,
    db,
    store: new PostgresDocumentStore(db),
    workflows,
    support: new TemporalSupportWorkflows(client),
    signals: new TemporalFaxSignals(client, config.web.dependencyTimeoutMs),
    payments: createPayments(config.stripe),
    log,
    readiness: {
      database: async () => {
        await db.query('SELECT 1');
      },
      temporal: async () => {
        // A frozen Temporal makes the check fail in time, not hang the probe.
        await client.withDeadline(Date.now() + config.web.dependencyTimeoutMs, () => client.workflowService.getSystemInfo({}));
      },
    },
  });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(config.web.port, config.web.host, () => resolve(s));
  });
  // A request must arrive whole in the time the largest upload takes on a slow line, its
  // headers in seconds: a client trickling its bytes cannot hold a connection for long.
  server.requestTimeout = config.web.requestTimeoutMs;
  server.headersTimeout = Math.min(20_000, config.web.requestTimeoutMs);
  // A request Node cannot parse, or one too slow to arrive, is the client's doing: a warning
  // without a stack, once, and Node's own answer.
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    log.warn('unreadable request', { code: err.code });
    const status = CLIENT_ERROR_STATUS[err.code ?? ''] ?? '400 Bad Request';
    if (socket.writable) socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\n\r\n`);
    else socket.destroy();
  });
  // Uploads a killed web process was reading are on disk: deleted once no upload can still be
  // arriving or being stored (a request arrives within the timeout; storing it takes less again).
  const stopSpoolSweep = sweepStaleFolders(log, 'upload spools', config.web.requestTimeoutMs, { prefix: SPOOL_PREFIX, maxAgeMs: 2 * config.web.requestTimeoutMs });
  // Faxes accepted while Temporal was out of reach get their workflow as soon as it answers.
  const starter = new WorkflowStarter(new Faxes(db), workflows, log, { intervalMs: 15_000, graceMs: 2 * config.web.dependencyTimeoutMs });
  starter.start();
  log.info('web listening', { url: config.web.publicBaseUrl, host: config.web.host, port: config.web.port });
  const trim = startIdleTrim(log);
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
  stopSpoolSweep();
  trim.stop();
  await starter.stop();
  await changes.stop();
  await client.connection.close();
  await db.destroy();
  log.info('web stopped');
}
