import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { PostgresDocumentStore } from '../../src/db/document-store';
import { Fax } from '../../src/db/entities/fax';
import { FaxAttempt } from '../../src/db/entities/fax-attempt';
import request from 'supertest';
import type { DocumentStore } from '../../src/db/document-store';
import { Faxes } from '../../src/db/faxes';
import { silentLogger } from '../../src/log';
import { createApp } from '../../src/web/app';
import { signMediaPath } from '../../src/web/media-url';
import { WorkflowStarter } from '../../src/web/workflow-starter';
import { createWebHarness, type WebHarness } from './harness';

const PDF = Buffer.from('%PDF-1.7\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n');

let h: WebHarness;
let t: WebHarness['t'];
let config: WebHarness['config'];
let workflows: WebHarness['workflows'];

beforeAll(async () => {
  h = await createWebHarness({ MAX_UPLOAD_BYTES: '4096' });
  ({ t, config, workflows } = h);
});
afterAll(async () => {
  await h.close();
});

const api = () => h.api();

async function createFax(fields: Record<string, string> = {}, doc: Buffer = PDF, headers: Record<string, string> = {}) {
  let req = api().post('/api/faxes');
  for (const [k, v] of Object.entries(headers)) req = req.set(k, v);
  for (const [k, v] of Object.entries({ to: '+49 30 1234567', ...fields })) req = req.field(k, v);
  return req.attach('document', doc, 'letter.pdf');
}

test('a valid upload is stored, its workflow started, and the token returned once', async () => {
  const res = await createFax({ email: 'ada@example.org', locale: 'de' });
  expect(res.status).toBe(201);
  expect(res.body).toMatchObject({ status: 'converting', links: { self: `/api/faxes/${res.body.id}` } });
  expect(res.body.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
  expect(res.headers.location).toBe(`/api/faxes/${res.body.id}`);
  expect(workflows.started).toContain(res.body.id);

  const row = await t.db.getRepository(Fax).findOneByOrFail({ id: res.body.id });
  expect(row).toMatchObject({ status: 'converting', toNumber: '+49301234567', country: 'DE', locale: 'de', email: 'ada@example.org' });
  expect(row.tokenHash).not.toContain(res.body.token);
  const original = await new PostgresDocumentStore(t.db).find(res.body.id, 'original');
  expect(original?.data.equals(PDF)).toBe(true);
});

test('the fax is readable with its token and invisible without it', async () => {
  const { body: created } = await createFax({ locale: 'fr' });
  const ok = await api().get(`/api/faxes/${created.id}`).set('Authorization', `Bearer ${created.token}`);
  expect(ok.status).toBe(200);
  expect(ok.body).toMatchObject({ id: created.id, status: 'converting', statusText: 'Préparation du document', to: '+49 30 1234567', attempts: [] });
  expect(ok.headers['cache-control']).toBe('no-store');

  const wrong = await api().get(`/api/faxes/${created.id}`).set('Authorization', 'Bearer nope').set('Accept-Language', 'de');
  expect(wrong.status).toBe(404);
  expect(wrong.body.error).toEqual({ code: 'not_found', message: expect.stringContaining('Wir konnten dieses Fax nicht finden') });
  expect((await api().get(`/api/faxes/${created.id}`)).status).toBe(404);
  expect((await api().get('/api/faxes/00000000-0000-4000-8000-000000000000').set('Authorization', `Bearer ${created.token}`)).status).toBe(404);
  expect((await api().get('/api/faxes/not-a-uuid').set('Authorization', `Bearer ${created.token}`)).status).toBe(404);
});

test('the view shows price, payment link while payable, and attempts with translated reasons', async () => {
  const { body: created } = await createFax();
  await t.db
    .getRepository(Fax)
    .update(
      { id: created.id },
      { status: 'awaiting_payment', pages: 2, priceAmount: 257, currency: 'eur', checkoutUrl: 'http://127.0.0.1:1/c/pay/cs_1', paymentExpiresAt: new Date(Date.now() + 3_600_000) },
    );
  let res = await api().get(`/api/faxes/${created.id}?locale=de`).set('Authorization', `Bearer ${created.token}`);
  expect(res.body.price).toEqual({ amount: 257, currency: 'eur', formatted: '2,57\u00a0€' });
  expect(res.body.payment).toMatchObject({ state: 'none', checkoutUrl: 'http://127.0.0.1:1/c/pay/cs_1' });
  expect(res.body.links.previews).toEqual([`/api/faxes/${created.id}/pages/1`, `/api/faxes/${created.id}/pages/2`]);

  await t.db.getRepository(Fax).update({ id: created.id }, { status: 'retrying', paymentState: 'authorized', failureReason: 'busy' });
  await t.db.getRepository(FaxAttempt).insert({ faxId: created.id, number: 1, status: 'failed', reason: 'busy', retryable: true, pagesSent: 0 });
  res = await api().get(`/api/faxes/${created.id}`).set('Authorization', `Bearer ${created.token}`);
  expect(res.body.payment.checkoutUrl).toBeNull();
  expect(res.body.attempts).toEqual([expect.objectContaining({ number: 1, status: 'failed', reason: 'busy', message: 'The line was busy.' })]);
});

test.each([
  [{ to: '' }, 400, 'missing_number'],
  [{ to: 'hello' }, 422, 'invalid_number'],
  [{ to: '+49 900 1234567' }, 422, 'number_type_not_allowed'],
  [{ to: '+7 495 1234567' }, 422, 'country_not_served'],
  [{ email: 'not an email' }, 422, 'invalid_email'],
  [{ email: '<script>alert(1)</script>@example.com' }, 422, 'invalid_email'],
  [{ email: 'Ada <ada@example.org>' }, 422, 'invalid_email'],
  [{ paper: 'a3' }, 422, 'invalid_request'],
])('bad input %j → %i %s, nothing stored', async (fields, status, code) => {
  const before = await t.db.getRepository(Fax).count();
  const res = await createFax(fields);
  expect(res.status).toBe(status);
  expect(res.body.error.code).toBe(code);
  expect(res.body.error.message.length).toBeGreaterThan(10);
  expect(await t.db.getRepository(Fax).count()).toBe(before);
});

test('a missing or empty document is refused in the sender’s language', async () => {
  const missing = await api().post('/api/faxes').set('Accept-Language', 'fr-CH, de;q=0.5').field('to', '+49 30 1234567');
  expect(missing.status).toBe(400);
  expect(missing.body.error).toEqual({ code: 'missing_document', message: 'Veuillez choisir un document à envoyer.', field: 'document' });
  const empty = await createFax({}, Buffer.alloc(0));
  expect(empty.status).toBe(422);
  expect(empty.body.error.code).toBe('empty_document');
  const notMultipart = await api().post('/api/faxes').send({ to: '+49 30 1234567' });
  expect(notMultipart.status).toBe(415);
});

test('an oversized upload is cut off while streaming with 413', async () => {
  const before = await t.db.getRepository(Fax).count();
  const res = await createFax({ locale: 'de' }, Buffer.alloc(8192, 1));
  expect(res.status).toBe(413);
  expect(res.body.error.code).toBe('upload_too_large');
  expect(res.body.error.message).toContain('4 KB');

  // Without a Content-Length the limit still holds, counted as the bytes arrive.
  const server = http.createServer(h.app.callback()).listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const { port } = server.address() as AddressInfo;
  const boundary = 'xxBOUNDARYxx';
  const status = await new Promise<number>((resolve, reject) => {
    const req = http.request(
      { port, host: '127.0.0.1', method: 'POST', path: '/api/faxes', headers: { 'Content-Type': `multipart/form-data; boundary=${boundary}`, 'Transfer-Encoding': 'chunked' } },
      (r) => {
        r.resume();
        resolve(r.statusCode ?? 0);
      },
    );
    req.on('error', reject);
    req.write(`--${boundary}\r\nContent-Disposition: form-data; name="to"\r\n\r\n+49 30 1234567\r\n`);
    req.write(`--${boundary}\r\nContent-Disposition: form-data; name="document"; filename="big.pdf"\r\nContent-Type: application/pdf\r\n\r\n`);
    for (let i = 0; i < 10; i++) req.write(Buffer.alloc(1024, 2));
    req.end(`\r\n--${boundary}--\r\n`);
  });
  server.close();
  expect(status).toBe(413);
  expect(await t.db.getRepository(Fax).count()).toBe(before);
});

test('a retried create with the same Idempotency-Key returns the same fax and token; a different body conflicts', async () => {
  const key = `key-${Date.now()}`;
  const first = await createFax({}, PDF, { 'Idempotency-Key': key });
  expect(first.status).toBe(201);
  const again = await createFax({}, PDF, { 'Idempotency-Key': key });
  expect(again.status).toBe(200);
  expect(again.headers['idempotent-replayed']).toBe('true');
  expect(again.body).toEqual(first.body);
  expect(await t.db.getRepository(Fax).countBy({ idempotencyKey: key })).toBe(1);
  const other = await createFax({ to: '+49 30 7654321' }, PDF, { 'Idempotency-Key': key });
  expect(other.status).toBe(409);
  expect(other.body.error.code).toBe('idempotency_conflict');
});

test('a fax accepted while Temporal does not answer is kept whole, gets its token, and its workflow once Temporal answers', async () => {
  workflows.failStart = true;
  let res;
  try {
    res = await createFax();
  } finally {
    workflows.failStart = false;
  }
  // Row and document are committed before the start: the fax is accepted, only its workflow is late.
  expect(res.status).toBe(201);
  expect(res.body.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
  const { id } = res.body as { id: string };
  expect(workflows.started).not.toContain(id);
  expect((await t.db.getRepository(Fax).findOneByOrFail({ id })).workflowStartedAt).toBeNull();
  expect((await new PostgresDocumentStore(t.db).find(id, 'original'))?.data.equals(PDF)).toBe(true);

  const starter = new WorkflowStarter(new Faxes(t.db), workflows, silentLogger, { intervalMs: 60_000, graceMs: 0 });
  expect(await starter.startWaiting()).toBe(1);
  expect(workflows.started).toContain(id);
  expect((await t.db.getRepository(Fax).findOneByOrFail({ id })).workflowStartedAt).toBeInstanceOf(Date);
  expect(await starter.startWaiting()).toBe(0);
});

test('identical concurrent retries under one Idempotency-Key all get the one fax, and one workflow', async () => {
  const key = `concurrent-${Date.now()}`;
  const answers = await Promise.all(Array.from({ length: 10 }, () => createFax({ email: 'ada@example.org' }, PDF, { 'Idempotency-Key': key })));
  expect(answers.map((a) => a.status).sort()).toEqual([200, 200, 200, 200, 200, 200, 200, 200, 200, 201]);
  const bodies = answers.map((a) => a.body as { id: string; token: string });
  const ids = new Set(bodies.map((b) => b.id));
  const tokens = new Set(bodies.map((b) => b.token));
  expect(ids.size).toBe(1);
  expect(tokens.size).toBe(1);
  expect(await t.db.getRepository(Fax).countBy({ idempotencyKey: key })).toBe(1);
  expect(workflows.started.filter((id) => ids.has(id)).length).toBeGreaterThanOrEqual(1);
});

test('a document that cannot be stored leaves no fax behind: row and upload commit together', async () => {
  const store = new PostgresDocumentStore(t.db);
  const failing: DocumentStore = Object.assign(Object.create(store) as PostgresDocumentStore, {
    put: async () => {
      throw new Error('disk full');
    },
  });
  const app = createApp({ ...h.deps, store: failing });
  const before = await t.db.getRepository(Fax).count();
  const res = await request(app.callback()).post('/api/faxes').field('to', '+49 30 1234567').attach('document', PDF, 'letter.pdf');
  expect(res.status).toBe(500);
  expect(await t.db.getRepository(Fax).count()).toBe(before);
});

test('the checkout opens when the sender asks for it, with the bearer token only, while the fax is payable', async () => {
  const { body: created } = await createFax();
  const auth = { Authorization: `Bearer ${created.token}` };
  // Converting: nothing to pay yet, and Stripe is not asked for a session.
  const early = await api().post(`/api/faxes/${created.id}/checkout`).set(auth).set('Accept-Language', 'fr');
  expect(early.status).toBe(409);
  expect(early.body.error).toEqual({ code: 'not_payable', message: expect.stringContaining('Ce fax ne peut pas être payé maintenant') });
  expect(workflows.checkouts).not.toContain(created.id);

  await t.db
    .getRepository(Fax)
    .update({ id: created.id }, { status: 'awaiting_payment', pages: 1, priceAmount: 178, currency: 'eur', paymentExpiresAt: new Date(Date.now() + 3_600_000) });
  const view = await api().get(`/api/faxes/${created.id}`).set(auth);
  expect(view.body.links.checkout).toBe(`/api/faxes/${created.id}/checkout`);
  expect(view.body.payment.checkoutUrl).toBeNull();
  const res = await api().post(`/api/faxes/${created.id}/checkout`).set(auth);
  expect(res.status).toBe(200);
  expect(res.headers['cache-control']).toBe('no-store');
  expect(res.body).toEqual({ id: created.id, checkoutUrl: workflows.offer!.url, payBy: workflows.offer!.payBy });
  expect(workflows.checkouts).toEqual([created.id]);
  // The fax's cookie reads, it does not pay: a change through the API needs the bearer token.
  expect((await api().post(`/api/faxes/${created.id}/checkout`).set('Cookie', `fax_${created.id}=${created.token}`)).status).toBe(404);
});

test('cancel asks the workflow and reports its decision', async () => {
  const { body: created } = await createFax();
  const auth = { Authorization: `Bearer ${created.token}` };
  workflows.decision = 'accepted';
  const accepted = await api().post(`/api/faxes/${created.id}/cancel`).set(auth);
  expect(accepted.status).toBe(202);
  expect(accepted.body).toMatchObject({ cancel: 'accepted', status: 'cancelling' });
  expect(workflows.cancels).toEqual([created.id]);

  workflows.decision = 'refused';
  expect((await api().post(`/api/faxes/${created.id}/cancel`).set(auth)).status).toBe(409);

  await t.db.getRepository(Fax).update({ id: created.id }, { status: 'sending' });
  const sending = await api().post(`/api/faxes/${created.id}/cancel`).set(auth).set('Accept-Language', 'de');
  expect(sending.status).toBe(409);
  expect(sending.body.error.message).toContain('nicht mehr storniert');
  expect(workflows.cancels).toHaveLength(2);

  await t.db.getRepository(Fax).update({ id: created.id }, { status: 'cancelled' });
  expect((await api().post(`/api/faxes/${created.id}/cancel`).set(auth)).body).toEqual({ id: created.id, status: 'cancelled' });
  expect((await api().post(`/api/faxes/${created.id}/cancel`)).status).toBe(404);
});

test('page previews are served to the token holder only', async () => {
  const { body: created } = await createFax();
  await t.db.getRepository(Fax).update({ id: created.id }, { pages: 1 });
  const png = Buffer.from('89504e470d0a1a0a0000', 'hex');
  await new PostgresDocumentStore(t.db).put({ faxId: created.id, kind: 'preview', page: 1, contentType: 'image/png', data: png });
  const res = await api().get(`/api/faxes/${created.id}/pages/1`).set('Authorization', `Bearer ${created.token}`).buffer(true);
  expect(res.status).toBe(200);
  expect(res.headers['content-type']).toBe('image/png');
  expect(Buffer.compare(res.body as Buffer, png)).toBe(0);
  expect((await api().get(`/api/faxes/${created.id}/pages/2`).set('Authorization', `Bearer ${created.token}`)).status).toBe(404);
  expect((await api().get(`/api/faxes/${created.id}/pages/1`)).status).toBe(404);
});

test('the carrier downloads the transmitted PDF through a signed, expiring link only', async () => {
  const { body: created } = await createFax();
  const store = new PostgresDocumentStore(t.db);
  const docId = await store.put({ faxId: created.id, kind: 'fax_pdf', contentType: 'application/pdf', data: PDF });
  const good = signMediaPath(docId, new Date(Date.now() + 60_000), config.appSecret);
  const res = await api().get(good).buffer(true);
  expect(res.status).toBe(200);
  expect(res.headers['content-type']).toBe('application/pdf');
  expect((await api().get(good.replace(/sig=./, 'sig=A'))).status).toBe(404);
  expect((await api().get(signMediaPath(docId, new Date(Date.now() - 1000), config.appSecret))).status).toBe(404);
  const originalId = (await store.find(created.id, 'original'))!.id;
  expect((await api().get(signMediaPath(originalId, new Date(Date.now() + 60_000), config.appSecret))).status).toBe(404);
});

test('health and readiness', async () => {
  expect((await api().get('/healthz')).body).toEqual({ status: 'ok' });
  expect((await api().get('/readyz')).status).toBe(200);
  h.ready.temporal = false;
  const res = await api().get('/readyz');
  h.ready.temporal = true;
  expect(res.status).toBe(503);
  expect(res.body.checks).toEqual({ database: 'ok', temporal: 'failing' });
});

test('unknown routes answer a translated 404 in JSON, never a stack trace', async () => {
  const res = await api().get('/nowhere').set('Accept-Language', 'fr');
  expect(res.status).toBe(404);
  expect(res.body.error.code).toBe('not_found');
  expect(JSON.stringify(res.body)).not.toMatch(/at .*\.ts:\d+/);
});
