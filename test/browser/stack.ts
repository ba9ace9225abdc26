import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { freePort } from '../../src/net';
import { hashPassword } from '../../src/support/passwords';
import { STACK_SUPPORT_USER } from './support-user';

const ROOT = path.resolve(__dirname, '..', '..');

/** Where the shared stack's processes listen; handed to test files through the environment. */
export interface StackUrls {
  web: string;
  ui: string;
  stripe: string;
  carrier: string;
  dataDir: string;
}

export const STACK_ENV = 'DURAFAX_STACK';
/** Why the shared stack did not start, when it did not (set by the global setup). */
export const STACK_ERROR_ENV = 'DURAFAX_STACK_ERROR';

/** The URLs of the shared stack (set by the browser project's global setup), or null when it did not start. */
export function stackUrls(): StackUrls | null {
  const raw = process.env[STACK_ENV];
  return raw ? (JSON.parse(raw) as StackUrls) : null;
}

export interface RunningStack {
  urls: StackUrls;
  proc: ChildProcess;
  /** Everything the stack printed, for a failing test's report. */
  output: string[];
  stop(): Promise<void>;
}

/**
 * `durafax start` as a user runs it — PostgreSQL, the engine, the sandboxes, the worker, the
 * web and the Temporal UI as real processes — in a throwaway data folder on free ports, with
 * a fast carrier sandbox and short retry pauses so a browser test sees a fax go through in
 * seconds. It stops itself when this process goes away (its stdin closes).
 */
export async function startStack(): Promise<RunningStack> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'durafax-stack-'));
  // Run as root, the embedded PostgreSQL's initdb runs as another user: it must reach the folder.
  fs.chmodSync(dataDir, 0o755);
  const [web, engine, pg, stripe, carrier, ui, smtp] = await Promise.all(Array.from({ length: 7 }, () => freePort()));
  const urls: StackUrls = {
    web: `http://127.0.0.1:${web}`,
    ui: `http://127.0.0.1:${ui}`,
    stripe: `http://127.0.0.1:${stripe}`,
    carrier: `http://127.0.0.1:${carrier}`,
    dataDir,
  };
  // The Temporal UI's static build is made once and reused while its inputs stay the same.
  const built = spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'ui.js'), 'build'], { cwd: ROOT, stdio: 'inherit' });
  if (built.status !== 0) throw new Error('the Temporal UI could not be built');
  const proc = spawn(process.execPath, [path.join(ROOT, 'dist', 'cli', 'index.js'), 'start'], {
    cwd: ROOT,
    env: {
      ...process.env,
      DURAFAX_SUPERVISED: '1',
      DURAFAX_DATA_DIR: dataDir,
      PUBLIC_BASE_URL: urls.web,
      PORT: String(web),
      ENGINE_PORT: String(engine),
      PG_PORT: String(pg),
      STRIPE_TWIN_PORT: String(stripe),
      CARRIER_TWIN_PORT: String(carrier),
      UI_PORT: String(ui),
      SMTP_TWIN_PORT: String(smtp),
      SUPPORT_USERS: `${STACK_SUPPORT_USER.name}:${await hashPassword(STACK_SUPPORT_USER.password)}`,
      SANDBOX_MS_PER_PAGE: '300',
      // Long enough for a test to cancel between two transmissions, short enough to retry twice quickly.
      RETRY_DELAY: '6s',
      // Every browser test sends from 127.0.0.1: the limits for a person would stop the suite.
      RATE_LIMITS: 'upload=1000/1h,uploadPerNumber=1000/1h,pay=1000/1h,payPerNumber=1000/1h,cancel=1000/1h,cancelPerNumber=1000/1h,report=1000/1h',
      // Not quieter: the supervisor waits for the worker's "worker started" info line.
      LOG_LEVEL: 'info',
    },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const ready = new Promise<void>((resolve, reject) => {
    for (const stream of [proc.stdout, proc.stderr]) {
      readline.createInterface({ input: stream }).on('line', (line) => {
        output.push(line);
        if (output.length > 2000) output.shift();
        if (line.startsWith('[durafax] ready:')) resolve();
      });
    }
    proc.once('exit', (code) => reject(new Error(`durafax start exited (${code}) before it was ready:\n${output.slice(-40).join('\n')}`)));
  });
  const timer = setTimeout(() => proc.kill('SIGINT'), 180_000);
  try {
    await ready;
  } finally {
    clearTimeout(timer);
  }
  return {
    urls,
    proc,
    output,
    stop: async () => {
      if (proc.exitCode === null && proc.signalCode === null) {
        const exited = new Promise((resolve) => proc.once('exit', resolve));
        proc.kill('SIGINT');
        const hard = setTimeout(() => proc.kill('SIGKILL'), 30_000);
        await exited;
        clearTimeout(hard);
      }
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
