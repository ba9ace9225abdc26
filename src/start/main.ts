import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import readline from 'node:readline';
import v8 from 'node:v8';
import { loadConfig } from '../config/config';
import { startEmbeddedPostgres, stopLeftoverPostgres, type RunningPostgres } from '../db/embedded';
import { createLogger } from '../log';
import { startIdleTrim } from '../memory-trim';
import { portInUse, waitForPort } from '../net';
import { writeOut } from '../output';
import { startSandbox } from '../twins/main';
import { ensureUiBuilt } from '../ui/build';
import { startUi } from '../ui/main';
import { ENGINE_SEARCH_ATTRIBUTE_FLAGS } from '../workflows/search-attributes';

const CLI = path.join(__dirname, '..', 'cli', 'index.js');

/**
 * Node flags of a child. The web's young generation is held to 1 MB a semi-space (V8 lets it
 * grow to 16 MB, two of them): it takes about 25 MB less at rest and, being collected more
 * often, frees sooner the buffers an upload streams through, which keeps the web under 150 MB
 * with many uploads at once (bench/web-uploads.ts). The price is CPU for pages that allocate
 * much (a status page: about 1.4 ms a request instead of 1.0; bench/README.md, uploads). The
 * worker runs with the same flag: 28–33 MB less, at no measurable CPU per fax
 * (bench/fax-throughput.ts; bench/README.md, the worker at rest).
 */
const NODE_FLAGS: Record<string, string[]> = { web: ['--max-semi-space-size=1'], worker: ['--max-semi-space-size=1'] };

interface Child {
  name: string;
  proc: ChildProcess;
  exited: Promise<number | null>;
}

/** What runs inside this process (the sandboxes, the Temporal UI): stopped in its turn. */
interface InProcess {
  name: string;
  stop(): Promise<void>;
}

function say(line: string): void {
  writeOut(`[durafax] ${line}\n`);
}

function envPort(name: string, fallback: number): number {
  const raw = process.env[name];
  if (!raw) return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`${name} must be a port number (got "${raw}")`);
  return port;
}

function envMs(name: string, fallback: number): number {
  const raw = process.env[name];
  if (!raw) return fallback;
  const ms = Number(raw);
  if (!Number.isInteger(ms) || ms < 0) throw new Error(`${name} must be a whole number of milliseconds (got "${raw}")`);
  return ms;
}

async function ensureFree(port: number, what: string, variable: string): Promise<void> {
  if (await portInUse(port)) {
    throw new Error(`port ${port} (${what}) is already in use: stop what uses it, or set ${variable} to another port`);
  }
}

/** Secrets of this machine's installation, made once and kept under the data folder. */
async function localSecrets(dataDir: string): Promise<{ appSecret: string; stripeWebhookSecret: string }> {
  const file = path.join(dataDir, 'secrets.json');
  try {
    return JSON.parse(await fs.readFile(file, 'utf8')) as { appSecret: string; stripeWebhookSecret: string };
  } catch {
    const secrets = { appSecret: randomBytes(32).toString('base64url'), stripeWebhookSecret: `whsec_${randomBytes(24).toString('base64url')}` };
    await fs.writeFile(file, JSON.stringify(secrets), { mode: 0o600 });
    return secrets;
  }
}

/**
 * `durafax start` (`npm start`): everything on one machine. Starts what is missing — an
 * embedded PostgreSQL unless DATABASE_URL, the engine unless TEMPORAL_ADDRESS, the offline
 * twins in sandbox mode — runs migrations, then the worker and the web, and the Temporal UI,
 * and prints the URL. The engine, the worker and the web are processes of their own (each can
 * be killed and watched apart); the twins and the UI, light and local, run in this process.
 * Nothing is restarted silently: if a part dies, everything stops with its name. Ctrl-C stops
 * all. Data lives under ./.durafax/.
 */
export async function run(): Promise<void> {
  // The sandboxes and the UI live here: a young generation of 1 MB a semi-space as the web's
  // and the worker's (set at run time, it does most of what the command-line flag does).
  v8.setFlagsFromString('--max-semi-space-size=1');
  const dataDir = path.resolve(process.env.DURAFAX_DATA_DIR || '.durafax');
  await fs.mkdir(dataDir, { recursive: true });
  const sandbox = process.env.DURAFAX_SANDBOX !== '0';
  const webPort = envPort('PORT', 3000);
  const publicBaseUrl = (process.env.PUBLIC_BASE_URL || `http://localhost:${webPort}`).replace(/\/+$/, '');
  const secrets = await localSecrets(dataDir);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DURAFAX_DATA_DIR: dataDir,
    PORT: String(webPort),
    PUBLIC_BASE_URL: publicBaseUrl,
    APP_SECRET: process.env.APP_SECRET || secrets.appSecret,
  };
  if (sandbox) env.DURAFAX_SANDBOX = '1';

  const children: Child[] = [];
  // Everything started, children and parts of this process, in order: stopped the other way round.
  const started: (Child | InProcess)[] = [];
  let postgres: RunningPostgres | undefined;
  let stopping = false;
  let failed = false;

  const stopAll = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    say('stopping…');
    for (const part of [...started].reverse()) {
      if ('proc' in part) {
        if (part.proc.exitCode === null && part.proc.signalCode === null) part.proc.kill('SIGTERM');
        const timer = setTimeout(() => part.proc.kill('SIGKILL'), 15_000);
        await part.exited;
        clearTimeout(timer);
      } else {
        await part.stop().catch((err: unknown) => say(`${part.name} did not stop cleanly: ${err instanceof Error ? err.message : String(err)}`));
      }
    }
    if (postgres) await postgres.stop();
    say('stopped');
  };

  /** A logger for a part of this process whose lines read as a child's, with its name in front. */
  const logFor = (name: string) => createLogger(name, (env.LOG_LEVEL as 'info' | undefined) ?? 'info', (line) => writeOut(`[${name}] ${line}\n`));

  /** A child that runs until everything stops, or with `once`, one that does a job and exits (not an error). */
  const spawnChild = (name: string, args: string[], onLine?: (line: string) => void, once = false): Child => {
    // Each child gets its own process group, so a Ctrl-C in the terminal reaches only this
    // supervisor, which then stops the children in order; the open stdin pipe tells a child
    // its supervisor is gone if this process is killed outright.
    const proc = spawn(process.execPath, [...(NODE_FLAGS[name] ?? []), CLI, ...args], {
      // glibc's malloc makes up to 8 arenas per core, one per thread that allocates, and keeps
      // what is freed in each: two arenas hold an engine after a busy spell about 16 MB smaller.
      env: { MALLOC_ARENA_MAX: '2', ...env, DURAFAX_SUPERVISED: '1' },
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
    });
    const prefix = `[${name}] `;
    for (const stream of [proc.stdout, proc.stderr]) {
      readline.createInterface({ input: stream }).on('line', (line) => {
        onLine?.(line);
        writeOut(prefix + line + '\n');
      });
    }
    const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
    const child = { name, proc, exited };
    children.push(child);
    if (once) {
      void exited.then(() => children.splice(children.indexOf(child), 1));
      return child;
    }
    started.push(child);
    void exited.then(async (code) => {
      if (stopping) return;
      failed = true;
      say(`${name} exited unexpectedly (exit code ${code}); stopping everything`);
      await stopAll();
      process.exit(1);
    });
    return child;
  };

  const onSignal = (): void => {
    if (stopping) {
      // A second Ctrl-C: do not wait any longer.
      for (const child of children) child.proc.kill('SIGKILL');
      return;
    }
    void stopAll().then(() => process.exit(failed ? 1 : 0));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // The terminal closed: stop in order as on Ctrl-C (by default the supervisor would die at once,
  // leaving PostgreSQL running without it).
  process.on('SIGHUP', onSignal);
  // The sandboxes and the UI run in this process: a fault of theirs stops everything, in order, as a child's exit does.
  process.on('uncaughtException', (err) => {
    say(`unexpected error: ${err.stack ?? err.message}; stopping everything`);
    failed = true;
    void stopAll().then(() => process.exit(1));
  });

  try {
    await ensureFree(webPort, 'web', 'PORT');
    // The Temporal UI is open in sandbox mode; elsewhere support signs in with the operator token or a support session.
    const uiPort = envPort('UI_PORT', 8233);
    const withUi = sandbox || !!process.env.UI_OPERATOR_TOKEN || !!process.env.SUPPORT_USERS;
    if (withUi) await ensureFree(uiPort, 'Temporal UI', 'UI_PORT');

    if (!process.env.DATABASE_URL) {
      const pgPort = envPort('PG_PORT', 54329);
      const pgDir = path.join(dataDir, 'postgres');
      const leftover = await stopLeftoverPostgres(pgDir);
      if (leftover !== null) say(`stopped the PostgreSQL an earlier run left running (pid ${leftover}; that run was killed before it could stop it)`);
      await ensureFree(pgPort, 'embedded PostgreSQL', 'PG_PORT');
      say(`starting PostgreSQL on 127.0.0.1:${pgPort} (data in ${path.relative(process.cwd(), dataDir)}/postgres)`);
      postgres = await startEmbeddedPostgres({ dataDir: pgDir, port: pgPort, ownProcessGroup: true });
      await postgres.createDatabase('durafax');
      env.DATABASE_URL = postgres.urlFor('durafax');
    }
    // In a process of its own: its database code (TypeORM) then takes none of this process's memory.
    const migrated = await spawnChild('migrate', ['migrate'], undefined, true).exited;
    if (migrated !== 0) throw new Error(`the database migration failed (exit code ${migrated})`);

    if (!process.env.TEMPORAL_ADDRESS) {
      const enginePort = envPort('ENGINE_PORT', 7233);
      await ensureFree(enginePort, 'embedded engine', 'ENGINE_PORT');
      // The fax workflow sets these search attributes; a namespace must know them first.
      spawnChild('engine', ['engine', '--port', String(enginePort), '--data-dir', path.join(dataDir, 'engine'), ...ENGINE_SEARCH_ATTRIBUTE_FLAGS]);
      await waitForPort(enginePort, 30_000);
      env.TEMPORAL_ADDRESS = `127.0.0.1:${enginePort}`;
    }

    if (sandbox) {
      const stripePort = envPort('STRIPE_TWIN_PORT', 12111);
      const carrierPort = envPort('CARRIER_TWIN_PORT', 12112);
      const smtpPort = envPort('SMTP_TWIN_PORT', 12125);
      await ensureFree(stripePort, 'Stripe sandbox', 'STRIPE_TWIN_PORT');
      await ensureFree(carrierPort, 'carrier sandbox', 'CARRIER_TWIN_PORT');
      await ensureFree(smtpPort, 'sandbox mail server', 'SMTP_TWIN_PORT');
      env.STRIPE_WEBHOOK_SECRET = secrets.stripeWebhookSecret;
      // In this process: a process of its own would cost a Node runtime (about 40 MB) for little work.
      const twins = await startSandbox({
        stripePort,
        carrierPort,
        smtpPort,
        dataDir: path.join(dataDir, 'twins'),
        appUrl: publicBaseUrl,
        msPerPage: envMs('SANDBOX_MS_PER_PAGE', 2000),
        webhookSecret: secrets.stripeWebhookSecret,
        log: logFor('sandbox'),
      });
      started.push({ name: 'sandbox', stop: () => twins.stop() });
      const { ready } = twins;
      env.STRIPE_API_BASE = ready.stripeUrl;
      env.TELNYX_API_BASE = ready.carrierUrl;
      env.TELNYX_PUBLIC_KEY = ready.carrierPublicKey;
      // Emails go to the local mail server, and the web lists what it received.
      env.SMTP_URL = ready.smtpUrl;
      env.SANDBOX_MAIL_DIR = ready.mailDir;
    }

    await new Promise<void>((resolve, reject) => {
      const worker = spawnChild('worker', ['worker'], (line) => {
        if (line.includes('"worker started"')) resolve();
      });
      void worker.exited.then(() => reject(new Error('the worker stopped before it was ready')));
    });
    spawnChild('web', ['web']);
    await waitForPort(webPort, 30_000);
    let uiNote = '';
    if (withUi) {
      await ensureUiBuilt(say);
      env.UI_PORT = String(uiPort);
      // In this process too, as the sandboxes.
      const ui = await startUi(loadConfig('ui', env), logFor('ui'));
      started.push({ name: 'ui', stop: () => ui.stop() });
      uiNote = `, Temporal UI at ${ui.url}`;
    } else {
      say('Temporal UI not started: outside sandbox mode it needs UI_OPERATOR_TOKEN or SUPPORT_USERS');
    }
    // The sandboxes and the UI live here: after a busy spell, their heap is given back too.
    startIdleTrim(logFor('durafax'));
    say(`ready: open ${publicBaseUrl}${uiNote}${sandbox ? ' (sandbox: no real fax is sent, no card is charged)' : ''} — Ctrl-C stops everything`);
  } catch (err) {
    failed = true;
    say(`could not start: ${err instanceof Error ? err.message : String(err)}`);
    await stopAll();
    process.exit(1);
  }
}
