import { existsSync } from 'node:fs';
import { DefaultLogger, Runtime, Worker, type LogEntry, type LogLevel, type NativeConnection, type WorkerOptions } from '@temporalio/worker';
import { createActivities } from '../activities';
import { createCarrier } from '../carrier/telnyx-carrier';
import { loadConfig, type Config } from '../config/config';
import { conversionImminent, convertDocument, keepConversionProcesses, stopConversionProcesses, sweepLeftoverOfficeJobs } from '../conversion';
import { createDataSource } from '../db/data-source';
import { PostgresDocumentStore } from '../db/document-store';
import { EmailOutbox } from '../db/email-outbox';
import { listenForUploads } from '../db/upload-notices';
import { Faxes } from '../db/faxes';
import { EmailRelay } from '../email/relay';
import { createLogger, type Logger } from '../log';
import { startIdleTrim } from '../memory-trim';
import { activityMetrics } from '../metrics/activity-metrics';
import { timedConverter } from '../metrics/conversion-timing';
import { WorkerMetrics } from '../metrics/worker-metrics';
import { createPayments } from '../payments/stripe-payments';
import { conversionTaskQueueOf, type FaxActivities } from '../workflows/contract';
import { connectWorker, taskQueueBacklog } from './temporal-connection';
import { WORKFLOW_BUNDLE_PATH } from './bundle';
import { ensureSchedules } from './schedules';

/**
 * Conversions on a queue of their own, taken only while a core is free for them (and one more
 * each, read from PostgreSQL and ready): the rest of a burst of uploads waits in Temporal, not
 * in the fax worker's activity slots, which payments, submissions and status writes need.
 */
function createConversionWorker(opts: {
  connection: NativeConnection;
  config: Config;
  taskQueue: string;
  activities: Pick<FaxActivities, 'convertDocument'>;
  interceptors: WorkerOptions['interceptors'];
}): Promise<Worker> {
  const { activities } = opts;
  return Worker.create({
    connection: opts.connection,
    namespace: opts.config.temporal.namespace,
    taskQueue: opts.taskQueue,
    activities: { convertDocument: (faxId: string) => activities.convertDocument(faxId) },
    interceptors: opts.interceptors,
    maxConcurrentActivityTaskExecutions: 2 * opts.config.conversionsAtOnce,
    shutdownGraceTime: '30s',
  });
}

/**
 * The SDK's log lines in the worker's log, warnings and errors only unless LOG_LEVEL=debug. The
 * conversion worker has no workflows by design, which the SDK warns of at every start: that
 * line is written at debug level, so an operator's first look at a fresh worker finds no warning.
 */
function sdkLogger(log: Logger, config: Config): DefaultLogger {
  const conversionQueue = conversionTaskQueueOf(config.temporal.taskQueue);
  const expected = (entry: LogEntry): boolean => entry.message.startsWith('No workflows registered') && entry.meta?.taskQueue === conversionQueue;
  const sdkLevel: LogLevel = config.logLevel === 'debug' ? 'DEBUG' : 'WARN';
  return new DefaultLogger(sdkLevel, (entry) => {
    const level = entry.level === 'ERROR' ? 'error' : entry.level === 'WARN' && !expected(entry) ? 'warn' : 'debug';
    log[level](entry.message, { sdk: true, ...(entry.meta ?? {}) });
  });
}

/**
 * `durafax worker`: runs fax workflows and their activities. Workers share nothing but
 * Temporal and PostgreSQL: run as many as the load needs.
 */
export async function run(): Promise<void> {
  const config = loadConfig('worker');
  const log = createLogger('worker', config.logLevel);
  const metrics = new WorkerMetrics();
  Runtime.install({
    logger: sdkLogger(log, config),
    shutdownSignals: [],
    telemetryOptions: metrics.sdkTelemetry(config.metrics),
  });

  const db = createDataSource({ url: config.databaseUrl, poolSize: 20, applicationName: 'durafax-worker' });
  await db.initialize();
  const connection = await connectWorker(config.temporal);
  const store = new PostgresDocumentStore(db);
  const smtpUrl = config.email.smtpUrl;
  if (!smtpUrl) log.warn('email is off: SMTP_URL is not set, so senders get neither the status link nor a receipt by email');
  const activities = createActivities({
    db,
    store,
    payments: createPayments(config.stripe),
    carrier: createCarrier(config.carrier),
    convert: timedConverter(convertDocument, metrics.fax),
    config,
    log,
    outbox: smtpUrl ? new EmailOutbox(db) : undefined,
  });
  const relay = smtpUrl
    ? new EmailRelay({
        db,
        store,
        smtpUrl,
        from: config.email.from,
        publicBaseUrl: config.web.publicBaseUrl,
        appSecret: config.appSecret,
        operator: config.operator,
        limits: config.limits,
        log,
      })
    : null;
  const prebuilt = existsSync(WORKFLOW_BUNDLE_PATH);
  const interceptors = { activity: [activityMetrics({ metrics: metrics.fax, paidAt: async (faxId: string) => (await new Faxes(db).get(faxId)).paidAt })] };
  const worker = await Worker.create({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    ...(prebuilt ? { workflowBundle: { codePath: WORKFLOW_BUNDLE_PATH } } : { workflowsPath: require.resolve('../workflows') }),
    // All of them: a fax started before conversions had their own queue converts on this one.
    activities,
    interceptors,
    maxConcurrentActivityTaskExecutions: 20,
    maxConcurrentWorkflowTaskExecutions: 40,
    // The faxes in flight; a retained fax is replayed when its purge comes (DEFAULT_CACHED_WORKFLOWS).
    maxCachedWorkflows: config.cachedWorkflows,
    shutdownGraceTime: '30s',
  });
  const conversionQueue = conversionTaskQueueOf(config.temporal.taskQueue);
  const conversionWorker = await createConversionWorker({ connection, config, taskQueue: conversionQueue, activities, interceptors });
  metrics.watchConversionBacklog(() => taskQueueBacklog(connection, config.temporal.namespace, conversionQueue, 'activity'), log);

  // The email relay and the upload listener stop as soon as the worker is told to, not after its
  // activities drain: were PostgreSQL stopped meanwhile, they would keep reconnecting to it (and
  // logging so) while the worker finishes its tasks.
  let stopListening: (() => Promise<void>) | null = null;
  let relayStopped: Promise<void> | null = null;
  const stopHelpers = async (): Promise<void> => {
    const listener = stopListening;
    stopListening = null;
    await Promise.all([listener?.(), (relayStopped ??= relay?.stop() ?? Promise.resolve())]);
  };
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    log.info('worker stopping', { signal });
    // A worker not running yet (stopped during start-up) is not run at all, below.
    for (const w of [worker, conversionWorker]) if (w.getState() === 'RUNNING') w.shutdown();
    stopHelpers().catch((err: unknown) => log.warn('could not stop the email relay or the upload listener', { err }));
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));

  // After Worker.create: its workflow sandboxes are made without the `gc` global this exposes for a moment.
  const trim = startIdleTrim(log);
  await metrics.start(config.metrics, log);
  // Conversion processes serve documents while they come, a few at once (one per core by
  // default); one is readied as an upload begins.
  keepConversionProcesses({ concurrency: config.conversionsAtOnce });
  const stopJobSweep = sweepLeftoverOfficeJobs(log);
  stopListening = listenForUploads(config.databaseUrl, () => void conversionImminent(), log);
  if (!stopping) await relay?.start();
  await ensureSchedules(config, log);
  log.info('worker started', { taskQueue: config.temporal.taskQueue, conversionTaskQueue: conversionQueue, namespace: config.temporal.namespace, prebuiltBundle: prebuilt });
  try {
    if (!stopping) {
      // Both or neither: one that ends (a fatal error) stops the other too.
      const runs = await Promise.allSettled([worker, conversionWorker].map((w) => w.run().finally(() => stop('a worker ended'))));
      for (const r of runs) if (r.status === 'rejected') throw r.reason;
    }
  } finally {
    trim.stop();
    stopJobSweep();
    await stopHelpers();
    await metrics.stop();
    stopConversionProcesses();
    await connection.close();
    await db.destroy();
    log.info('worker stopped');
  }
}
