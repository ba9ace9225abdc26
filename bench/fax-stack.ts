/**
 * The whole system as `durafax start` runs it on one machine — embedded PostgreSQL, the
 * engine, the Stripe and carrier sandboxes, the worker, the web and the Temporal UI — on free loopback ports
 * with its data in a throwaway folder, started from the build in dist/.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { freePort } from '../src/net';
import { stackProcesses, type Role } from './fax-processes';

const ROOT = path.resolve(__dirname, '..');
const CLI = path.join(ROOT, 'dist', 'cli', 'index.js');
const BUNDLE = path.join(ROOT, 'dist', 'workflow-bundle.js');

export interface StackOptions {
  /** The carrier sandbox's transmission time per page (0: as fast as it goes). */
  msPerPage: number;
  /** Extra settings for every process (policy, log level). */
  env?: Record<string, string>;
}

export interface Stack {
  webUrl: string;
  databaseUrl: string;
  temporalAddress: string;
  /** Where every process's output goes, for a look after a failure. */
  logFile: string;
  /** The pid of each process by role. */
  processes(): Partial<Record<Role, number>>;
  /** The pid of `durafax start` itself, which supervises the others. */
  supervisorPid: number | undefined;
  /** Stops everything (the supervisor stops its children in order) and deletes the data. */
  stop(): Promise<void>;
}

function exited(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => proc.once('exit', () => resolve()));
}

function lastLines(file: string, count: number): string {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-count).join('\n');
  } catch {
    return '(no output)';
  }
}

export async function startStack(opts: StackOptions): Promise<Stack> {
  if (!fs.existsSync(CLI) || !fs.existsSync(BUNDLE)) throw new Error('dist/ is missing: run `npm run build` first');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'durafax-bench-'));
  // PostgreSQL runs as its own user when we are root: it must be able to enter the folder.
  fs.chmodSync(dir, 0o755);
  const logFile = path.join(dir, 'stack.log');
  const log = fs.createWriteStream(logFile);
  const ports = new Set<number>();
  while (ports.size < 7) ports.add(await freePort());
  const [web, engine, pg, stripe, carrier, smtp, ui] = [...ports];
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...opts.env,
    PORT: String(web),
    ENGINE_PORT: String(engine),
    PG_PORT: String(pg),
    STRIPE_TWIN_PORT: String(stripe),
    CARRIER_TWIN_PORT: String(carrier),
    SMTP_TWIN_PORT: String(smtp),
    UI_PORT: String(ui),
    PUBLIC_BASE_URL: `http://127.0.0.1:${web}`,
    DURAFAX_DATA_DIR: path.join(dir, 'data'),
    SANDBOX_MS_PER_PAGE: String(opts.msPerPage),
    // The open stdin pipe makes the supervisor stop everything should this process die.
    DURAFAX_SUPERVISED: '1',
  };
  for (const name of ['DATABASE_URL', 'TEMPORAL_ADDRESS', 'DURAFAX_SANDBOX']) delete env[name];

  const supervisor = spawn(process.execPath, [CLI, 'start'], { cwd: dir, env, stdio: ['pipe', 'pipe', 'pipe'] });
  const gone = exited(supervisor);
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    if (supervisor.exitCode === null && supervisor.signalCode === null) supervisor.kill('SIGTERM');
    const force = setTimeout(() => supervisor.kill('SIGKILL'), 30_000);
    await gone;
    clearTimeout(force);
    await new Promise<void>((resolve) => log.end(resolve));
    // BENCH_KEEP_LOG=<file>: the stack's output is kept there (it goes with the folder otherwise).
    if (process.env.BENCH_KEEP_LOG) fs.copyFileSync(logFile, process.env.BENCH_KEEP_LOG);
    fs.rmSync(dir, { recursive: true, force: true });
  };

  const ready = new Promise<void>((resolve, reject) => {
    for (const stream of [supervisor.stdout, supervisor.stderr]) {
      readline.createInterface({ input: stream }).on('line', (line) => {
        log.write(`${line}\n`);
        if (line.startsWith('[durafax] ready:')) resolve();
      });
    }
    void gone.then(() => reject(new Error(`durafax start stopped before it was ready:\n${lastLines(logFile, 20)}`)));
    setTimeout(() => reject(new Error(`durafax start was not ready after 120 s:\n${lastLines(logFile, 20)}`)), 120_000).unref();
  });
  try {
    await ready;
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    webUrl: `http://127.0.0.1:${web}`,
    databaseUrl: `postgres://durafax:durafax@127.0.0.1:${pg}/durafax`,
    temporalAddress: `127.0.0.1:${engine}`,
    logFile,
    processes: () => (supervisor.pid ? stackProcesses(supervisor.pid) : {}),
    supervisorPid: supervisor.pid,
    stop,
  };
}

/**
 * Runs a benchmark against a fresh stack and stops the stack however it ends, Ctrl-C included.
 */
export async function withStack(opts: StackOptions, run: (stack: Stack) => Promise<void>): Promise<void> {
  const stack = await startStack(opts);
  const interrupt = (): void => {
    process.stderr.write('interrupted: stopping the stack…\n');
    void stack.stop().then(() => process.exit(130));
  };
  process.once('SIGINT', interrupt);
  process.once('SIGTERM', interrupt);
  try {
    await run(stack);
  } catch (err) {
    process.stderr.write(`last lines of the stack's output:\n${lastLines(stack.logFile, 30)}\n`);
    throw err;
  } finally {
    process.off('SIGINT', interrupt);
    process.off('SIGTERM', interrupt);
    await stack.stop();
  }
}
