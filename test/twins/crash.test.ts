import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { freePort } from '../../src/net';
import { createStripeClient } from '../../src/payments/stripe-client';
import { createPayments } from '../../src/payments/stripe-payments';
import type { SandboxReady } from '../../src/twins/main';
import { startMediaServer, type MediaServer } from '../helpers/carrier';
import { checkoutRequest, WEBHOOK_SECRET } from '../helpers/stripe';

const ROOT = path.join(__dirname, '..', '..');
const KEY = 'KEY_CRASH_TEST';
let media: MediaServer;

beforeAll(async () => {
  media = await startMediaServer(50);
});
afterAll(async () => {
  await media.close();
});

/** `durafax sandbox` as its own process, straight from the sources. */
async function sandbox(dataDir: string, ports: { stripe: number; carrier: number; smtp: number }): Promise<{ proc: ChildProcess; ready: SandboxReady }> {
  const args = ['--stripe-port', String(ports.stripe), '--carrier-port', String(ports.carrier), '--smtp-port', String(ports.smtp), '--data-dir', dataDir, '--ms-per-page', '20'];
  const proc = spawn(
    process.execPath,
    [
      '-r',
      './src/conversion/child/register-ts.js',
      '-e',
      "require('./src/twins/main').run(process.argv.slice(1)).catch((e) => { console.error(e); process.exit(1); })",
      '--',
      ...args,
    ],
    { cwd: ROOT, env: { ...process.env, DURAFAX_SANDBOX: '1', STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET, LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const ready = await new Promise<SandboxReady>((resolve, reject) => {
    proc.once('exit', (code) => reject(new Error(`the sandbox exited with ${String(code)}`)));
    createInterface({ input: proc.stdout }).on('line', (line) => {
      if (line.startsWith('{"ready":true')) resolve(JSON.parse(line) as SandboxReady);
    });
  });
  proc.removeAllListeners('exit');
  expect(new URL(ready.stripeUrl).port).toBe(String(ports.stripe));
  return { proc, ready };
}

function kill(proc: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
    proc.once('exit', () => resolve());
    proc.kill('SIGKILL');
  });
}

test('after SIGKILL the restarted sandbox knows every change it had answered', async () => {
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'durafax-sandbox-crash-'));
  const ports = { stripe: await freePort(), carrier: await freePort(), smtp: await freePort() };
  let { proc, ready } = await sandbox(dataDir, ports);
  try {
    const config = { secretKey: 'sk_test_crash', webhookSecret: WEBHOOK_SECRET, apiBase: ready.stripeUrl };
    const payments = createPayments(config, { maxNetworkRetries: 0, timeoutMs: 10_000 });
    const answered: string[] = [];
    const faxesAnswered: string[] = [];
    let killed: Promise<void> | null = null;
    const killAfter = 25;
    const onAnswer = (): void => {
      if (answered.length + faxesAnswered.length >= killAfter) killed ??= kill(proc);
    };
    // More requests than are answered before the kill: the rest are cut off mid-way.
    const sessions = Array.from({ length: 40 }, async () => {
      const s = await payments.createCheckoutSession(checkoutRequest(randomUUID()));
      if (!killed) answered.push(s.id);
      onAnswer();
    });
    const faxes = Array.from({ length: 10 }, async () => {
      const res = await fetch(`${ready.carrierUrl}/v2/faxes`, {
        method: 'POST',
        headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify({ connection_id: 'conn', from: '+15005550006', to: '+493012345678', media_url: media.url('/doc-2.pdf') }),
      });
      const body = (await res.json()) as { data: { id: string } };
      if (!killed) faxesAnswered.push(body.data.id);
      onAnswer();
    });
    await Promise.allSettled([...sessions, ...faxes]);
    await (killed ?? kill(proc));
    expect(answered.length + faxesAnswered.length).toBeGreaterThanOrEqual(killAfter);

    ({ proc, ready } = await sandbox(dataDir, ports));
    const raw = createStripeClient({ ...config, apiBase: ready.stripeUrl }, { maxNetworkRetries: 0 });
    for (const id of answered) expect(await raw.checkout.sessions.retrieve(id)).toMatchObject({ id, status: 'open' });
    for (const id of faxesAnswered) {
      const res = await fetch(`${ready.carrierUrl}/v2/faxes/${id}`, { headers: { authorization: `Bearer ${KEY}` } });
      expect(res.status).toBe(200);
      expect(((await res.json()) as { data: { id: string } }).data.id).toBe(id);
    }
  } finally {
    await kill(proc);
    await fs.rm(dataDir, { recursive: true, force: true });
  }
});
