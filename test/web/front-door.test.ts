import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Router from '@koa/router';
import request from 'supertest';
import { Fax } from '../../src/db/entities/fax';
import { createLogger } from '../../src/log';
import { createApp, createAppFrame } from '../../src/web/app';
import { createWebHarness, type WebHarness } from './harness';

const PDF = Buffer.from('%PDF-1.7\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n');
const BOUNDARY = 'xxFRONTDOORxx';

/** The opening of a multipart upload to +49 30 1234567 whose document has `declared` bytes; the rest is up to the test. */
function uploadHead(): Buffer {
  return Buffer.from(
    `--${BOUNDARY}\r\nContent-Disposition: form-data; name="to"\r\n\r\n+49 30 1234567\r\n` +
      `--${BOUNDARY}\r\nContent-Disposition: form-data; name="document"; filename="slow.pdf"\r\nContent-Type: application/pdf\r\n\r\n`,
  );
}

interface Running {
  port: number;
  close(): void;
}

async function listen(app: { callback(): http.RequestListener }): Promise<Running> {
  const server = http.createServer(app.callback()).listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  return {
    port: (server.address() as AddressInfo).port,
    close: () => {
      server.close();
      server.closeAllConnections();
    },
  };
}

/** An upload that sends its head and `first` bytes of the document, then nothing until `finish()`. */
function slowUpload(port: number, first: Buffer, headers: Record<string, string> = {}) {
  let answered: (r: { status: number; body: string; ms: number }) => void;
  const answer = new Promise<{ status: number; body: string; ms: number }>((resolve) => (answered = resolve));
  const started = Date.now();
  const req = http.request(
    {
      port,
      host: '127.0.0.1',
      method: 'POST',
      path: '/api/faxes',
      headers: { 'Content-Type': `multipart/form-data; boundary=${BOUNDARY}`, 'Transfer-Encoding': 'chunked', ...headers },
    },
    (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => answered({ status: res.statusCode ?? 0, body, ms: Date.now() - started }));
    },
  );
  req.on('error', () => undefined);
  req.write(uploadHead());
  req.write(first);
  return {
    answer,
    finish: (): void => {
      req.end(Buffer.concat([Buffer.from(`\r\n--${BOUNDARY}--\r\n`)]));
    },
    abort: (): void => {
      req.destroy();
    },
  };
}

describe('admission of uploads', () => {
  let h: WebHarness;
  beforeAll(async () => {
    h = await createWebHarness({ MAX_CONCURRENT_UPLOADS: '1', UPLOAD_IDLE_TIMEOUT: '2s' });
  });
  afterAll(async () => {
    await h.close();
  });

  test('past the uploads one process reads at once: 503 with Retry-After, in the sender’s language, before the body is read', async () => {
    const server = await listen(h.app);
    try {
      const first = slowUpload(server.port, PDF.subarray(0, 20));
      // The first upload holds the one place while it trickles.
      await new Promise((r) => setTimeout(r, 200));
      const refused = await request(h.app.callback()).post('/api/faxes').set('Accept-Language', 'de').field('to', '+49 30 1234567').attach('document', PDF, 'a.pdf');
      expect(refused.status).toBe(503);
      expect(refused.headers['retry-after']).toBe('5');
      expect(refused.body.error).toEqual({ code: 'service_unavailable', message: expect.stringContaining('Gerade werden sehr viele Dokumente hochgeladen') });
      first.finish();
      expect((await first.answer).status).toBe(201);
      // Its place is free again.
      const next = await request(h.app.callback()).post('/api/faxes').field('to', '+49 30 1234567').attach('document', PDF, 'a.pdf');
      expect(next.status).toBe(201);
    } finally {
      server.close();
    }
  });

  test('an upload that stops arriving is given up after the idle timeout (408), stores nothing and frees its place', async () => {
    const server = await listen(h.app);
    try {
      const before = await h.t.db.getRepository(Fax).count();
      const stalled = slowUpload(server.port, PDF.subarray(0, 20), { 'Accept-Language': 'fr' });
      const answer = await stalled.answer;
      expect(answer.status).toBe(408);
      expect(answer.ms).toBeGreaterThanOrEqual(1900);
      expect(answer.ms).toBeLessThan(10_000);
      expect(JSON.parse(answer.body)).toEqual({ error: { code: 'upload_timeout', message: expect.stringContaining('L’envoi du fichier s’est interrompu'), field: 'document' } });
      stalled.abort();
      expect(await h.t.db.getRepository(Fax).count()).toBe(before);
      const next = await request(h.app.callback()).post('/api/faxes').field('to', '+49 30 1234567').attach('document', PDF, 'a.pdf');
      expect(next.status).toBe(201);
    } finally {
      server.close();
    }
  });
});

describe('limits on creating faxes', () => {
  test('uploads are limited for all addresses together, in PostgreSQL, as well as per address', async () => {
    const h = await createWebHarness({ RATE_LIMITS: 'upload=100/1h,uploadPerNumber=100/1h,uploadGlobal=2/1h' });
    h.app.proxy = true;
    try {
      const from = (ip: string) =>
        request(h.app.callback()).post('/api/faxes').set('X-Forwarded-For', ip).set('Accept-Language', 'fr').field('to', '+49 30 1234567').attach('document', PDF, 'a.pdf');
      expect((await from('198.51.100.1')).status).toBe(201);
      expect((await from('198.51.100.2')).status).toBe(201);
      const third = await from('198.51.100.3');
      expect(third.status).toBe(429);
      expect(Number(third.headers['retry-after'])).toBeGreaterThan(60);
      expect(third.body.error.message).toContain('Trop de requêtes');
    } finally {
      await h.close();
    }
  });
});

describe('answers', () => {
  let h: WebHarness;
  beforeAll(async () => {
    h = await createWebHarness();
  });
  afterAll(async () => {
    await h.close();
  });

  test('a method a route does not take is the JSON error (and a page for browsers), with Allow', async () => {
    const json = await h.api().put('/api/faxes').set('Accept-Language', 'de');
    expect(json.status).toBe(405);
    expect(json.headers.allow).toContain('POST');
    expect(json.body).toEqual({ error: { code: 'method_not_allowed', message: 'Diese Aktion ist hier nicht erlaubt.' } });
    const page = await h.api().delete('/fr/prices').set('Accept', 'text/html');
    expect(page.status).toBe(405);
    expect(page.type).toBe('text/html');
    expect(page.text).toContain('Cette action n’est pas autorisée ici.');
  });

  test('a webhook body over its limit says the limit', async () => {
    const res = await h
      .api()
      .post('/webhooks/telnyx')
      .set('Content-Type', 'application/json')
      .send(Buffer.alloc(300 * 1024, 0x20));
    expect(res.status).toBe(413);
    expect(res.body.error).toEqual({ code: 'upload_too_large', message: 'The file is too large. The limit is 256 KB.' });
  });

  test('nothing that carries a token or personal data may be stored by a browser or proxy', async () => {
    const created = await h.api().post('/api/faxes').field('to', '+49 30 1234567').field('email', 'ada@example.org').attach('document', PDF, 'a.pdf');
    expect(created.status).toBe(201);
    expect(created.headers['cache-control']).toBe('no-store');
    const { id, token } = created.body as { id: string; token: string };
    await h.t.db.getRepository(Fax).update({ id }, { pages: 1 });
    const store = h.deps.store;
    await store.put({ faxId: id, kind: 'preview', page: 1, contentType: 'image/png', data: Buffer.from('png') });
    const auth = { Authorization: `Bearer ${token}` };
    for (const path of [`/api/faxes/${id}`, `/api/faxes/${id}/pages/1`]) expect((await h.api().get(path).set(auth)).headers['cache-control']).toBe('no-store');
    const cookie = { Cookie: `fax_${id}=${token}` };
    expect((await h.api().get(`/en/faxes/${id}`).set(cookie)).headers['cache-control']).toBe('no-store');
    expect((await h.api().get(`/en/faxes/${id}?t=${token}`)).headers['cache-control']).toBe('no-store');
    expect((await h.api().get('/en/')).headers['cache-control']).toBe('no-store');
    expect((await h.api().get(`/api/faxes/${id}`)).headers['cache-control']).toBe('no-store');
    // Assets are the exception: versioned, public, cached for long.
    const home = await h.api().get('/en/');
    const style = /href="(\/assets\/[^"]+\.css\?v=[^"]+)"/.exec(home.text)?.[1];
    expect(style).toBeDefined();
    expect((await h.api().get(style!)).headers['cache-control']).toMatch(/max-age=\d+/);
  });
});

describe('what is logged', () => {
  let h: WebHarness;
  beforeAll(async () => {
    h = await createWebHarness();
  });
  afterAll(async () => {
    await h.close();
  });

  test('a dependency out of reach is a 503 with Retry-After, logged as a warning without a stack', async () => {
    const logged: string[] = [];
    const app = createAppFrame(createLogger('web', 'warn', (line) => logged.push(line)));
    const router = new Router();
    router.get('/api/pool', () => {
      throw new Error('timeout exceeded when trying to connect');
    });
    router.get('/api/temporal', () => {
      throw Object.assign(new Error('Failed to start Workflow'), { cause: Object.assign(new Error('4 DEADLINE_EXCEEDED'), { code: 4, details: 'Deadline exceeded' }) });
    });
    router.get('/api/statement', () => {
      throw Object.assign(new Error('QueryFailedError'), { driverError: Object.assign(new Error('canceling statement due to statement timeout'), { code: '57014' }) });
    });
    app.use(router.routes());
    for (const path of ['/api/pool', '/api/temporal', '/api/statement']) {
      const res = await request(app.callback()).get(path).set('Accept-Language', 'de');
      expect(res.status).toBe(503);
      expect(res.headers['retry-after']).toBe('5');
      expect(res.body.error).toEqual({ code: 'service_unavailable', message: 'Der Dienst startet gerade oder ist ausgelastet. Bitte versuchen Sie es gleich noch einmal.' });
    }
    const lines = logged.map((l) => JSON.parse(l) as { level: string; err?: unknown });
    expect(lines).toHaveLength(3);
    expect(lines.every((l) => l.level === 'warn' && l.err === undefined)).toBe(true);
    expect(logged.join('\n')).not.toMatch(/\n\s+at /);
  });

  test('a truncated upload is the client’s doing: one warning at most, no error, no stack', async () => {
    const logged: string[] = [];
    const app = createApp({ ...h.deps, log: createLogger('web', 'info', (line) => logged.push(line)) });
    const server = await listen(app);
    try {
      const upload = slowUpload(server.port, PDF.subarray(0, 20));
      await new Promise((r) => setTimeout(r, 200));
      upload.abort();
      await new Promise((r) => setTimeout(r, 500));
    } finally {
      server.close();
    }
    const lines = logged.map((l) => JSON.parse(l) as { level: string; msg: string });
    expect(lines.filter((l) => l.level === 'error')).toEqual([]);
    expect(lines.filter((l) => l.level === 'warn').length).toBeLessThanOrEqual(1);
    expect(logged.join('\n')).not.toMatch(/"stack"/);
  });
});
