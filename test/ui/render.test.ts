/**
 * /render, the page the UI's Markdown frames load (a workflow's summary and details): served
 * with the markdown bundle of the UI build, framed by this UI only, running no script. The real
 * bundle's rendering is seen in Chromium (test/browser/temporal-ui.test.ts); here a stand-in
 * bundle shows what the route does around it.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { silentLogger } from '../../src/log';
import type { AccessMode } from '../../src/ui/access';
import { createUiApp, type TemporalConnection } from '../../src/ui/app';

const frontend = { workflowService: {}, operatorService: {}, withAbortSignal: <R>(_s: AbortSignal, fn: () => Promise<R>) => fn() } as unknown as TemporalConnection;
const servers: http.Server[] = [];
const dirs: string[] = [];

/** A built UI whose markdown bundle marks what it was given. */
function builtUi(withBundle: boolean): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'durafax-ui-render-'));
  dirs.push(dir);
  fs.writeFileSync(path.join(dir, 'index.html'), '<!doctype html><title>Temporal UI</title>');
  if (withBundle) {
    fs.mkdirSync(path.join(dir, '_server'));
    fs.writeFileSync(path.join(dir, '_server', 'markdown.cjs'), 'exports.markdownToHtml = async (md) => `<p data-rendered>${md}</p>`;');
  }
  return dir;
}

async function serve(staticDir: string, access: AccessMode = { kind: 'sandbox' }): Promise<string> {
  const server = http.createServer(createUiApp({ connection: frontend, defaultNamespace: 'default', staticDir, uiVersion: '2.38.0', access, log: silentLogger }).callback());
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});

test('the markdown is rendered by the bundle into a page only this UI may frame, with no script', async () => {
  const base = await serve(builtUi(true));
  const res = await request(base).get(`/render?content=${encodeURIComponent('**Fax** 1234')}&theme=dark`);
  expect(res.status).toBe(200);
  expect(res.type).toBe('text/html');
  expect(res.text).toContain('<body data-theme="dark"><main><p data-rendered>**Fax** 1234</p></main>');
  const csp: string = res.headers['content-security-policy'];
  expect(csp).toContain("default-src 'none'");
  expect(csp).toContain("frame-ancestors 'self'");
  expect(csp).toMatch(/; sandbox allow-same-origin allow-popups allow-popups-to-escape-sandbox$/);
  expect(csp).not.toContain('script-src');
  // The one stylesheet carries the nonce the policy names.
  const nonce = /style-src 'nonce-([^']+)'/.exec(csp)?.[1];
  expect(res.text).toContain(`<style nonce="${nonce}">`);
  expect(res.headers['x-frame-options']).toBe('SAMEORIGIN');

  const odd = await request(base).get('/render?content=x&theme=%22%3E%3Cscript%3E');
  expect(odd.text).toContain('<body data-theme="light">');
});

test("the bundle is the server's own: never served as a file", async () => {
  const base = await serve(builtUi(true));
  expect((await request(base).get('/_server/markdown.cjs')).status).toBe(404);
});

test('an unbuilt UI says so, in the frame and on the pages', async () => {
  const res = await request(await serve(builtUi(false))).get('/render?content=x');
  expect(res.status).toBe(503);
  expect(res.text).toContain('the Temporal UI is not built: run `npm run build`');
  const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'durafax-ui-render-'));
  dirs.push(empty);
  const pageRes = await request(await serve(empty)).get('/namespaces/default/workflows');
  expect(pageRes.status).toBe(503);
  expect(pageRes.text).toContain('the Temporal UI is not built: run `npm run build`');
});

test('outside sandbox mode the frame too needs a signed-in user', async () => {
  const base = await serve(builtUi(true), { kind: 'token', token: 'operator-token-0123456789-abcdefghijkl' });
  const res = await request(base).get('/render?content=x');
  expect(res.status).toBe(302);
  expect(res.headers.location).toMatch(/^\/login\?/);
});
