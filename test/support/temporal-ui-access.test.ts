import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { silentLogger } from '../../src/log';
import { hashPassword } from '../../src/support/passwords';
import { SupportSignIn } from '../../src/support/sign-in';
import type { AccessMode, SupportAccess } from '../../src/ui/access';
import { createUiApp, type TemporalConnection } from '../../src/ui/app';
import { supportSessions } from '../../src/ui/main';
import { loadConfig } from '../../src/config/config';
import { createTestDatabase, type TestDatabase } from '../helpers/db';

/** A frontend that answers the one call these tests make. */
const frontend = {
  workflowService: { getSystemInfo: async () => ({ serverVersion: '1.27.0' }), getClusterInfo: async () => ({ clusterId: 'x' }) },
  operatorService: {},
  withAbortSignal: <R>(_signal: AbortSignal, fn: () => Promise<R>) => fn(),
} as unknown as TemporalConnection;

let t: TestDatabase;
let staticDir: string;
let signIn: SupportSignIn;
let support: SupportAccess;
const servers: http.Server[] = [];

beforeAll(async () => {
  t = await createTestDatabase();
  staticDir = fs.mkdtempSync(path.join(os.tmpdir(), 'durafax-ui-support-'));
  fs.writeFileSync(path.join(staticDir, 'index.html'), '<!doctype html><title>Temporal UI</title>');
  signIn = new SupportSignIn(t.db, { users: [{ name: 'dana', passwordHash: await hashPassword('danas password 1') }], sandbox: false });
  support = { session: async (cookie) => (await signIn.session(cookie))?.username ?? null, signInUrl: 'https://fax.example.org/en/support/login' };
});
afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  fs.rmSync(staticDir, { recursive: true, force: true });
  await t.drop();
});

async function serve(access: AccessMode): Promise<string> {
  const server = http.createServer(createUiApp({ connection: frontend, defaultNamespace: 'default', staticDir, uiVersion: '2.38.0', access, log: silentLogger }).callback());
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function sessionCookie(): Promise<string> {
  const result = await signIn.signIn('dana', 'danas password 1');
  if (!result.ok) throw new Error('sign-in failed');
  return `durafax_support=${result.token}`;
}

test('the Temporal UI lets in a support session from the shared table, and nobody without one', async () => {
  const base = await serve({ kind: 'support', support });
  expect((await request(base).get('/api/v1/system-info')).status).toBe(401);
  const login = await request(base).get('/login');
  expect(login.text).toContain('href="https://fax.example.org/en/support/login"');
  expect(login.text).not.toContain('Operator token');
  // Without an operator token there is nothing to post.
  expect((await request(base).post('/login').type('form').send({ token: 'x' })).status).toBe(405);

  const cookie = await sessionCookie();
  const api = await request(base).get('/api/v1/system-info').set('Cookie', cookie);
  expect(api.status).toBe(200);
  expect(api.body.serverVersion).toBe('1.27.0');
  expect(
    (
      await request(base)
        .get('/api/v1/system-info')
        .set('Cookie', `durafax_support=${'B'.repeat(43)}`)
    ).status,
  ).toBe(401);

  // Signing out of the support pages ends it here too: it is the same row.
  await signIn.signOut(cookie.split('=')[1]);
  expect((await request(base).get('/api/v1/system-info').set('Cookie', cookie)).status).toBe(401);
});

test('with an operator token configured too, either one opens the UI', async () => {
  const token = 'operator-token-0123456789-abcdefghijkl';
  const base = await serve({ kind: 'token', token, support });
  const login = await request(base).get('/login');
  expect(login.text).toContain('Operator token');
  expect(login.text).toContain('sign in to the support pages');
  expect(
    (
      await request(base)
        .get('/api/v1/system-info')
        .set('Cookie', await sessionCookie())
    ).status,
  ).toBe(200);
  expect((await request(base).get('/api/v1/system-info')).status).toBe(401);
});

test('the UI server reads support sessions from the database named in its settings, and opens none in sandbox mode', async () => {
  const env = {
    TEMPORAL_ADDRESS: '127.0.0.1:7233',
    DATABASE_URL: t.url,
    SUPPORT_USERS: `dana:${await hashPassword('danas password 1')}`,
    PUBLIC_BASE_URL: 'https://fax.example.org',
  };
  expect(await supportSessions(loadConfig('ui', { ...env, DURAFAX_SANDBOX: '1' }))).toBeUndefined();

  const sessions = await supportSessions(loadConfig('ui', env));
  expect(sessions).toBeDefined();
  try {
    const cookie = await sessionCookie();
    expect(await sessions!.support.session(cookie.split('=')[1])).toBe('dana');
    expect(await sessions!.support.session('B'.repeat(43))).toBeNull();
    expect(sessions!.support.signInUrl).toBe('https://fax.example.org/en/support/login');
  } finally {
    await sessions?.db.destroy();
  }
});
