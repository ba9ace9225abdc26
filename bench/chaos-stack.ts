/**
 * The processes of `durafax start` — embedded PostgreSQL, the engine, the sandbox, the worker
 * and the web — run from dist/ as start runs them, but under a supervisor that restarts them:
 * `durafax start` stops everything when a child dies (it restarts none silently), which is
 * right for users and useless for a crash storm. Only the chaos bench (and its short version
 * in the tests) runs this. The sandbox is never killed: its ledgers are what the invariants
 * are checked against.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { startEmbeddedPostgres, type RunningPostgres } from '../src/db/embedded';
import { freePort, waitForPort } from '../src/net';
import type { SandboxReady } from '../src/twins/main';
import { childrenOf } from './fax-processes';
import { ENGINE_SEARCH_ATTRIBUTE_FLAGS } from '../src/workflows/search-attributes';
import { processAlive } from '../src/pid';

const ROOT = path.resolve(__dirname, '..');
const CLI = path.join(ROOT, 'dist', 'cli', 'index.js');

/** The processes a crash storm kills. */
export const KILLABLE = ['worker', 'web', 'engine', 'postgres'] as const;
export type Killable = (typeof KILLABLE)[number];

export interface ChaosStackOptions {
  /** A throwaway folder for the data, the logs and the web's temporary files. */
  dir: string;
  /** Settings for the worker and the web (the fax policy: short windows and retention). */
  env: Record<string, string>;
  /** The carrier sandbox's transmission time per page. */
  msPerPage: number;
  /** The engine's dynamic config (`--dynamic-config-value KEY=VALUE`), e.g. `history.cacheTTL: '2s'` to page runs out soon. */
  engineConfig?: Record<string, string>;
}

export interface ProcessCounts {
  /** SIGKILLs sent by the storm. */
  kills: number;
  /** Exits nobody asked for (a process that gave up while a dependency was down). */
  ownExits: number;
  starts: number;
}

/** A node process of the stack that the supervisor keeps running until stopped. */
class Supervised {
  proc: ChildProcess | null = null;
  /** Held down on purpose (killed, waiting for its restart). */
  down = false;
  stopping = false;
  readonly counts: ProcessCounts = { kills: 0, ownExits: 0, starts: 0 };

  constructor(
    readonly role: string,
    private readonly args: () => string[],
    private readonly env: () => NodeJS.ProcessEnv,
    private readonly log: fs.WriteStream,
    private readonly onLine?: (line: string) => void,
  ) {}

  start(): void {
    this.counts.starts++;
    this.down = false;
    // The open stdin pipe stops the process should this supervisor die (DURAFAX_SUPERVISED).
    const proc = spawn(process.execPath, [CLI, ...this.args()], { env: { ...this.env(), DURAFAX_SUPERVISED: '1' }, stdio: ['pipe', 'pipe', 'pipe'] });
    this.proc = proc;
    for (const stream of [proc.stdout, proc.stderr]) {
      readline.createInterface({ input: stream }).on('line', (line) => {
        this.log.write(`[${this.role}] ${line}\n`);
        this.onLine?.(line);
      });
    }
    proc.once('exit', (code, signal) => {
      this.log.write(`[chaos] ${this.role} exited (${signal ?? code})\n`);
      if (this.stopping || this.down || this.proc !== proc) return;
      // It gave up by itself (its database or engine was away): back after a pause.
      this.counts.ownExits++;
      setTimeout(() => {
        if (!this.stopping && !this.down && this.proc === proc) this.start();
      }, 1000).unref();
    });
  }

  async kill(): Promise<void> {
    const proc = this.proc;
    this.down = true;
    this.counts.kills++;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const gone = new Promise((resolve) => proc.once('exit', resolve));
    proc.kill('SIGKILL');
    await gone;
  }

  async stop(): Promise<void> {
    this.stopping = true;
    const proc = this.proc;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const gone = new Promise((resolve) => proc.once('exit', resolve));
    proc.kill('SIGTERM');
    const force = setTimeout(() => proc.kill('SIGKILL'), 15_000);
    await gone;
    clearTimeout(force);
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export class ChaosStack {
  readonly logFile: string;
  webUrl = '';
  databaseUrl = '';
  temporalAddress = '';
  stripeUrl = '';
  carrierUrl = '';
  /** Where the web spools uploads (its TMPDIR): what a killed web leaves there is checked. */
  readonly webTmpDir: string;
  private readonly log: fs.WriteStream;
  private postgres: RunningPostgres | null = null;
  private readonly postgresCounts: ProcessCounts = { kills: 0, ownExits: 0, starts: 0 };
  private readonly processes = new Map<string, Supervised>();
  private postgresDown = false;

  constructor(private readonly opts: ChaosStackOptions) {
    this.logFile = path.join(opts.dir, 'stack.log');
    this.log = fs.createWriteStream(this.logFile);
    this.webTmpDir = path.join(opts.dir, 'web-tmp');
    fs.mkdirSync(this.webTmpDir, { recursive: true });
  }

  async start(): Promise<void> {
    const [web, engine, pg, stripe, carrier, smtp] = await this.ports(6);
    const data = path.join(this.opts.dir, 'data');
    this.postgresCounts.starts++;
    this.postgres = await startEmbeddedPostgres({ dataDir: path.join(data, 'postgres'), port: pg, onLog: (line) => this.log.write(`[postgres] ${line}\n`) });
    await this.postgres.createDatabase('durafax');
    this.databaseUrl = this.postgres.urlFor('durafax');
    this.webUrl = `http://127.0.0.1:${web}`;
    this.temporalAddress = `127.0.0.1:${engine}`;
    const base: NodeJS.ProcessEnv = {
      ...process.env,
      ...this.opts.env,
      DURAFAX_SANDBOX: '1',
      DURAFAX_DATA_DIR: data,
      DATABASE_URL: this.databaseUrl,
      TEMPORAL_ADDRESS: this.temporalAddress,
      PORT: String(web),
      PUBLIC_BASE_URL: this.webUrl,
      APP_SECRET: 'chaos-bench-app-secret-0123456789abcdef',
      STRIPE_WEBHOOK_SECRET: 'whsec_chaos_bench',
    };
    await this.runOnce('migrate', ['migrate'], base);

    this.add(
      'engine',
      () => [
        'engine',
        '--port',
        String(engine),
        '--data-dir',
        path.join(data, 'engine'),
        ...ENGINE_SEARCH_ATTRIBUTE_FLAGS,
        ...Object.entries(this.opts.engineConfig ?? {}).flatMap(([key, value]) => ['--dynamic-config-value', `${key}=${value}`]),
      ],
      () => base,
    );
    this.processes.get('engine')!.start();
    await waitForPort(engine, 60_000);

    const sandboxArgs = ['sandbox', '--stripe-port', String(stripe), '--carrier-port', String(carrier), '--smtp-port', String(smtp)];
    sandboxArgs.push('--data-dir', path.join(data, 'twins'), '--public-base-url', this.webUrl, '--ms-per-page', String(this.opts.msPerPage));
    const sandboxReady = new Promise<SandboxReady>((resolve) => {
      this.add(
        'sandbox',
        () => sandboxArgs,
        () => base,
        (line) => {
          if (line.startsWith('{"ready":true')) resolve(JSON.parse(line) as SandboxReady);
        },
      );
    });
    this.processes.get('sandbox')!.start();
    const ready = await withTimeout(sandboxReady, 60_000, `the sandbox did not start; see ${this.logFile}`);
    this.stripeUrl = ready.stripeUrl;
    this.carrierUrl = ready.carrierUrl;
    const providers: NodeJS.ProcessEnv = { ...base, STRIPE_API_BASE: ready.stripeUrl, TELNYX_API_BASE: ready.carrierUrl, TELNYX_PUBLIC_KEY: ready.carrierPublicKey };

    let workerReady: (() => void) | null = null;
    const workerStarted = new Promise<void>((resolve) => (workerReady = resolve));
    this.add(
      'worker',
      () => ['worker'],
      () => providers,
      (line) => {
        if (line.includes('"worker started"')) workerReady?.();
      },
    );
    this.processes.get('worker')!.start();
    await withTimeout(workerStarted, 120_000, `the worker did not start; see ${this.logFile}`);
    this.add(
      'web',
      () => ['web'],
      () => ({ ...providers, TMPDIR: this.webTmpDir }),
    );
    this.processes.get('web')!.start();
    await waitForPort(web, 60_000);
  }

  /** Kills one process with SIGKILL; it stays down until restart(). */
  async kill(role: Killable): Promise<void> {
    if (role !== 'postgres') return this.processes.get(role)!.kill();
    this.postgresCounts.kills++;
    this.postgresDown = true;
    const pid = this.postgres?.pid();
    if (pid === null || pid === undefined) return;
    // The whole server at once, postmaster and backends, as a machine losing it would.
    for (const child of childrenOf(pid)) signal(child, 'SIGKILL');
    signal(pid, 'SIGKILL');
    while (processAlive(pid)) await pause(20);
  }

  /** Starts a killed process again (PostgreSQL retried until its old backends are gone). */
  async restart(role: Killable): Promise<void> {
    if (role !== 'postgres') {
      this.processes.get(role)!.start();
      return;
    }
    for (let tries = 1; ; tries++) {
      try {
        this.postgresCounts.starts++;
        await this.postgres!.restart();
        this.postgresDown = false;
        return;
      } catch (err) {
        if (tries >= 50) throw new Error(`PostgreSQL did not start again: ${String(err)}`);
        await pause(200);
      }
    }
  }

  isDown(role: Killable): boolean {
    return role === 'postgres' ? this.postgresDown : (this.processes.get(role)?.down ?? true);
  }

  counts(): Record<Killable, ProcessCounts> {
    const of = (role: string): ProcessCounts => this.processes.get(role)?.counts ?? { kills: 0, ownExits: 0, starts: 0 };
    return { worker: of('worker'), web: of('web'), engine: of('engine'), postgres: this.postgresCounts };
  }

  /** Upload spools the web left in its temporary folder. */
  leftoverSpools(): string[] {
    return fs.readdirSync(this.webTmpDir).filter((name) => name.startsWith('durafax-upload-'));
  }

  /** Stops everything in the reverse order of start. */
  async stop(): Promise<void> {
    for (const role of ['web', 'worker', 'sandbox', 'engine']) await this.processes.get(role)?.stop();
    await this.postgres?.stop().catch(() => undefined);
    await new Promise<void>((resolve) => this.log.end(resolve));
  }

  private add(role: string, args: () => string[], env: () => NodeJS.ProcessEnv, onLine?: (line: string) => void): void {
    this.processes.set(role, new Supervised(role, args, env, this.log, onLine));
  }

  private async ports(count: number): Promise<number[]> {
    const ports = new Set<number>();
    while (ports.size < count) ports.add(await freePort());
    return [...ports];
  }

  private async runOnce(role: string, args: string[], env: NodeJS.ProcessEnv): Promise<void> {
    const proc = spawn(process.execPath, [CLI, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    for (const stream of [proc.stdout, proc.stderr]) readline.createInterface({ input: stream }).on('line', (line) => this.log.write(`[${role}] ${line}\n`));
    const code = await new Promise<number | null>((resolve) => proc.once('exit', resolve));
    if (code !== 0) throw new Error(`durafax ${args.join(' ')} failed (exit ${code}); see ${this.logFile}`);
  }
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // Gone already.
  }
}
