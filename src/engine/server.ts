import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { createLogger, type Logger } from '../log';
import { portInUse } from '../net';
import { Engine } from './engine';
import { buildServer } from './grpc/server';
import { historyHandlers } from './handlers/history';
import { operatorHandlers, systemHandlers } from './handlers/system';
import { taskHandlers } from './handlers/tasks';
import { activityHandlers } from './handlers/activities';
import { scheduleHandlers } from './handlers/schedules';
import { batchHandlers } from './handlers/batch';
import { deploymentHandlers } from './handlers/deployments';
import { nexusEndpointHandlers } from './handlers/nexus';
import { multiOperationHandlers } from './handlers/multi-operation';
import { updateHandlers } from './handlers/updates';
import { healthHandlers, testServiceHandlers } from './handlers/test-service';
import { visibilityHandlers } from './handlers/visibility';
import { workflowHandlers } from './handlers/workflows';
import type { JournalLocation, SnapshotPolicy } from './store/journal';
import { FileStore, MemoryStore, type Store } from './store/store';

export interface EngineOptions {
  /** TCP port; 0 picks a free one. Default 7233. */
  port?: number;
  /** Interface to bind. Default 127.0.0.1. */
  host?: string;
  /** Where the journal lives. Default ./.durafax/engine; ignored when in memory. */
  dataDir?: string;
  /** One file for the whole journal instead of a folder (the dev server's `--db-filename`). */
  dbFile?: string;
  /** Keep nothing on disk (tests). Time skipping is always in memory. */
  inMemory?: boolean;
  /** Virtual time and the TestService, for TestWorkflowEnvironment.createTimeSkipping. */
  timeSkipping?: boolean;
  /** Namespaces besides `default`. */
  namespaces?: string[];
  /** Custom search attributes to register (name → IndexedValueType). */
  searchAttributes?: Record<string, number>;
  log?: Logger;
  /** Dynamic config keys to values (`--dynamic-config-value`), over the dev server's defaults. */
  dynamicConfig?: Record<string, string>;
  /** When the journal writes snapshots (tests lower it). */
  snapshots?: SnapshotPolicy;
}

export interface RunningEngine {
  /** host:port to give the Temporal client and worker. */
  address: string;
  port: number;
  /** Whether state survives a restart (journal on disk). */
  durable: boolean;
  /** Runs in memory and paged out now, and how many times runs went out and came back in. */
  paging(): PagingStats;
  stop(): Promise<void>;
}

export interface PagingStats {
  resident: number;
  paged: number;
  pagedOut: number;
  loaded: number;
}

export class PortInUseError extends Error {
  constructor(host: string, port: number) {
    super(`the engine cannot listen on ${host}:${port}: the port is already in use (choose another with --port or ENGINE_PORT)`);
    this.name = 'PortInUseError';
  }
}

/** Starts the engine: recovers its journal (unless in memory), then serves gRPC. */
export async function startEngine(opts: EngineOptions = {}): Promise<RunningEngine> {
  const host = opts.host ?? '127.0.0.1';
  const port = opts.port ?? 7233;
  const log = opts.log ?? createLogger('engine');
  const timeSkipping = !!opts.timeSkipping;
  const inMemory = timeSkipping || !!opts.inMemory;
  if (port !== 0 && (await portInUse(port, host))) throw new PortInUseError(host, port);

  let store: Store = new MemoryStore();
  let recovered: Awaited<ReturnType<typeof FileStore.open>> | undefined;
  const where: JournalLocation = opts.dbFile ? { file: path.resolve(opts.dbFile) } : { dir: path.resolve(opts.dataDir ?? path.join('.durafax', 'engine')) };
  const dataDir = 'file' in where ? where.file : where.dir;
  if (!inMemory) {
    recovered = await FileStore.open(where, log, opts.snapshots);
    store = recovered.store;
  }
  const engine = new Engine({ timeSkipping, store, log, namespaces: opts.namespaces, searchAttributes: opts.searchAttributes, dynamicConfig: opts.dynamicConfig });
  if (recovered && (recovered.snapshot || recovered.records.length)) {
    engine.recover(recovered.snapshot, recovered.records);
    log.info('engine state recovered', { dataDir, runs: engine.runs.size, open: engine.openRuns.size, pagedOut: engine.pager.pagedRuns, journalRecords: recovered.records.length });
    // Start the next life from one snapshot rather than an ever longer journal; a snapshot with
    // a run index and nothing after it is that already (writing it again would copy every page).
    if (recovered.records.length || !recovered.snapshot?.index) await recovered.store.snapshotNow((gen) => engine.snapshot(gen));
  } else if (recovered) {
    engine.tx(() => undefined);
  }

  // Time skipping keeps everything: a test may look at a run closed "days" ago in virtual time.
  let purge: NodeJS.Timeout | undefined;
  if (!timeSkipping) {
    engine.purgeExpired();
    purge = setInterval(() => engine.purgeExpired(), 10 * 60_000);
    purge.unref();
  }

  const health = healthHandlers();
  const server = buildServer(
    [
      {
        name: 'temporal.api.workflowservice.v1.WorkflowService',
        unary: {
          ...systemHandlers(engine),
          ...workflowHandlers(engine),
          ...taskHandlers(engine),
          ...historyHandlers(engine),
          ...visibilityHandlers(engine),
          ...updateHandlers(engine),
          ...multiOperationHandlers(engine),
          ...activityHandlers(engine),
          ...scheduleHandlers(engine),
          ...batchHandlers(engine),
          ...deploymentHandlers(engine),
        },
      },
      { name: 'temporal.api.operatorservice.v1.OperatorService', unary: { ...operatorHandlers(engine), ...nexusEndpointHandlers(engine) } },
      { name: 'temporal.api.testservice.v1.TestService', unary: timeSkipping ? testServiceHandlers(engine) : {} },
      { name: 'grpc.health.v1.Health', unary: health.unary, streams: health.streams },
    ],
    log,
    () => engine.durable(),
  );
  let bound: number;
  try {
    bound = await new Promise<number>((resolve, reject) =>
      server.bindAsync(`${host}:${port}`, grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
    );
  } catch (err) {
    if (purge) clearInterval(purge);
    await engine.stop();
    if (port !== 0 && (await portInUse(port, host))) throw new PortInUseError(host, port);
    throw err;
  }
  log.info('engine listening', {
    address: `${host}:${bound}`,
    mode: timeSkipping ? 'time-skipping' : inMemory ? 'in-memory' : 'durable',
    dataDir: inMemory ? undefined : dataDir,
  });
  let stopping: Promise<void> | undefined;
  return {
    address: `${host}:${bound}`,
    port: bound,
    durable: !inMemory,
    paging: () => ({ resident: engine.pager.residentRuns, paged: engine.pager.pagedRuns, pagedOut: engine.pager.pagedOut, loaded: engine.pager.loaded }),
    stop: () =>
      (stopping ??= (async () => {
        // Calls in flight are cut off first, so nothing is acknowledged after the journal closes.
        server.forceShutdown();
        if (purge) clearInterval(purge);
        await engine.stop();
        log.info('engine stopped', { address: `${host}:${bound}` });
      })()),
  };
}
