import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { silentLogger } from '../../src/log';
import { createUiApp, type TemporalConnection } from '../../src/ui/app';
import type { AccessMode } from '../../src/ui/access';

/** A frontend that answers the two calls these tests make. */
const frontend = {
  workflowService: {
    getClusterInfo: async () => ({ clusterId: 'durafax-engine' }),
    getSystemInfo: async () => ({ serverVersion: '1.27.0' }),
  },
  operatorService: {},
  withAbortSignal: <R>(_signal: AbortSignal, fn: () => Promise<R>) => fn(),
} as unknown as TemporalConnection;

const TOKEN = 'operator-token-0123456789-abcdefghijkl';
const servers: http.Server[] = [];
let staticDir: string;

async function serve(access: AccessMode, proxy = false): Promise<string> {
  const app = createUiApp({ connection: frontend, defaultNamespace: 'default', staticDir, uiVersion: '2.38.0', access, proxy, log: silentLogger });
  const server = http.createServer(app.callback());
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const cookieOf = (res: request.Response, name: string): string | undefined => ([] as string[]).concat(res.headers['set-cookie'] ?? []).find((c) => c.startsWith(`${name}=`));

beforeAll(() => {
  staticDir = fs.mkdtempSync(path.join(os.tmpdir(), 'durafax-ui-access-'));
  fs.writeFileSync(path.join(staticDir, 'index.html'), '<!doctype html><title>Temporal UI</title>');
});
afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  fs.rmSync(staticDir, { recursive: true, force: true });
});

test('outside sandbox mode nothing is served without signing in', async () => {
  const base = await serve({ kind: 'token', token: TOKEN });
  const api = await request(base).get('/api/v1/system-info');
  expect(api.status).toBe(401);
  expect(api.body.code).toBe(16);
  const page = await request(base).get('/namespaces/default/workflows');
  expect(page.status).toBe(302);
  expect(page.headers.location).toBe('/login?returnUrl=%2Fnamespaces%2Fdefault%2Fworkflows');
});

test('the operator token is exchanged for an HttpOnly session cookie; writes still need the CSRF token', async () => {
  const base = await serve({ kind: 'token', token: TOKEN });
  const form = await request(base).get('/login?returnUrl=/namespaces/default/workflows');
  expect(form.status).toBe(200);
  const csrf = /name="_csrf" value="([^"]+)"/.exec(form.text)?.[1] as string;
  expect(csrf).toBeTruthy();
  const csrfCookie = `_csrf=${csrf}`;

  const wrong = await request(base).post('/login').set('Cookie', csrfCookie).type('form').send({ token: 'guess', _csrf: csrf, returnUrl: '/' });
  expect(wrong.status).toBe(401);
  expect(cookieOf(wrong, 'durafax_ui_session')).toBeUndefined();

  const forged = await request(base).post('/login').type('form').send({ token: TOKEN, _csrf: 'forged-value-forged-value-forged-value', returnUrl: '/' });
  expect(forged.status).toBe(403);

  const ok = await request(base)
    .post('/login')
    .set('Cookie', csrfCookie)
    .type('form')
    .send({ token: TOKEN, _csrf: csrf, returnUrl: 'https://elsewhere.example/namespaces/default/workflows' });
  expect(ok.status).toBe(302);
  // Only ever back to this server.
  expect(ok.headers.location).toBe('/namespaces/default/workflows');
  const session = cookieOf(ok, 'durafax_ui_session') as string;
  expect(session).toMatch(/httponly/i);
  expect(session).toMatch(/samesite=strict/i);
  const cookies = `${session.split(';')[0]}; ${csrfCookie}`;

  const api = await request(base).get('/api/v1/system-info').set('Cookie', cookies);
  expect(api.status).toBe(200);
  expect(api.body.serverVersion).toBe('1.27.0');
  const noCsrf = await request(base).post('/api/v1/namespaces/default/workflows/x/cancel').set('Cookie', cookies).send({});
  expect(noCsrf.status).toBe(403);

  const out = await request(base).post('/logout').set('Cookie', cookies);
  expect(out.status).toBe(302);
  expect((await request(base).get('/api/v1/system-info').set('Cookie', cookies)).status).toBe(401);
});

test('sandbox mode is open, but only to requests for a loopback host', async () => {
  const base = await serve({ kind: 'sandbox' });
  expect((await request(base).get('/api/v1/system-info')).status).toBe(200);
  const rebound = await request(base).get('/api/v1/system-info').set('Host', 'attacker.example');
  expect(rebound.status).toBe(403);
});

test('behind a TLS proxy (production) the cookies are Secure; without one its headers are ignored', async () => {
  for (const proxy of [true, false]) {
    const base = await serve({ kind: 'token', token: TOKEN }, proxy);
    const form = await request(base).get('/login').set('X-Forwarded-Proto', 'https');
    const csrf = /name="_csrf" value="([^"]+)"/.exec(form.text)?.[1] as string;
    expect(/;\s*secure/i.test(cookieOf(form, '_csrf') as string)).toBe(proxy);
    const ok = await request(base).post('/login').set('X-Forwarded-Proto', 'https').set('Cookie', `_csrf=${csrf}`).type('form').send({ token: TOKEN, _csrf: csrf, returnUrl: '/' });
    expect(ok.status).toBe(302);
    expect(/;\s*secure/i.test(cookieOf(ok, 'durafax_ui_session') as string)).toBe(proxy);
  }
});

test("in sandbox mode a proxy's X-Forwarded-Host cannot stand in for a loopback Host", async () => {
  const base = await serve({ kind: 'sandbox' }, true);
  const res = await request(base).get('/api/v1/system-info').set('Host', 'attacker.example').set('X-Forwarded-Host', '127.0.0.1');
  expect(res.status).toBe(403);
  expect((await request(base).get('/api/v1/system-info').set('Host', 'localhost:8233')).status).toBe(200);
});

test('a frontend that is down: the settings answer with its gRPC status, not a server error', async () => {
  const down = {
    ...frontend,
    workflowService: {
      getClusterInfo: async () => Promise.reject(Object.assign(new Error('14 UNAVAILABLE: No connection established'), { code: 14, details: 'No connection established' })),
    },
  } as unknown as TemporalConnection;
  const app = createUiApp({ connection: down, defaultNamespace: 'default', staticDir, uiVersion: '2.38.0', access: { kind: 'sandbox' }, log: silentLogger });
  const server = http.createServer(app.callback());
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const res = await request(`http://127.0.0.1:${(server.address() as AddressInfo).port}`).get('/api/v1/settings');
  expect(res.status).toBe(503);
  expect(res.body).toEqual({ code: 14, message: 'No connection established', details: [] });
});

test('a short operator token is refused outright', async () => {
  await expect(serve({ kind: 'token', token: 'short' })).rejects.toThrow(/at least 32/);
});
