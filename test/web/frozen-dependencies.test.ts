import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import request from 'supertest';
import type { DataSource } from 'typeorm';
import { createDataSource } from '../../src/db/data-source';
import { PostgresDocumentStore } from '../../src/db/document-store';
import { Fax } from '../../src/db/entities/fax';
import { Faxes } from '../../src/db/faxes';
import { silentLogger } from '../../src/log';
import { freePort } from '../../src/net';
import { createApp } from '../../src/web/app';
import { TemporalFaxWorkflows } from '../../src/web/fax-workflows';
import { WorkflowStarter } from '../../src/web/workflow-starter';
import { faxWorkflowId } from '../../src/workflows/contract';
import { ENGINE_SEARCH_ATTRIBUTE_FLAGS } from '../../src/workflows/search-attributes';
import { freezable, startProxy, type Freezable } from '../helpers/frozen';
import { createWebHarness, type WebHarness } from './harness';

/**
 * PostgreSQL and Temporal stop answering without closing their connections (SIGSTOP of a
 * process this test started: a proxy in front of the database, the engine itself). Every
 * request must end within its deadline with a 503 and Retry-After, and once they answer
 * again no fax is without its document or its workflow, and no workflow without its fax.
 */

const PDF = Buffer.from('%PDF-1.7\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n');
/** The deadline of every call to a dependency in these tests. */
const DEADLINE_MS = 1_500;
const CLI = path.resolve(__dirname, '..', '..', 'dist', 'cli', 'index.js');

async function timed<T>(call: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = Date.now();
  const value = await call();
  return { value, ms: Date.now() - started };
}

describe('a frozen database', () => {
  let h: WebHarness;
  let proxy: Freezable & { port: number };
  let db: DataSource;

  beforeAll(async () => {
    h = await createWebHarness();
    const direct = new URL(h.t.url);
    proxy = await startProxy(Number(direct.port));
    direct.port = String(proxy.port);
    db = createDataSource({ url: direct.toString(), poolSize: 4, applicationName: 'durafax-frozen-test', timeoutMs: DEADLINE_MS });
    await db.initialize();
  });
  afterAll(async () => {
    await db?.destroy();
    await proxy?.stop();
    await h?.close();
  });

  test('gives 503 with Retry-After within the deadline, and nothing half-made after it answers again', async () => {
    const app = createApp({ ...h.deps, db, store: new PostgresDocumentStore(db) });
    const upload = () => request(app.callback()).post('/api/faxes').field('to', '+49 30 1234567').attach('document', PDF, 'a.pdf');
    const before = await upload();
    expect(before.status).toBe(201);
    const { id, token } = before.body as { id: string; token: string };

    proxy.freeze();
    try {
      const read = await timed(() => request(app.callback()).get(`/api/faxes/${id}`).set('Authorization', `Bearer ${token}`).set('Accept-Language', 'de'));
      expect(read.value.status).toBe(503);
      expect(read.value.headers['retry-after']).toBe('5');
      expect(read.value.body.error.message).toContain('Bitte versuchen Sie es gleich noch einmal');
      // More requests than the pool has connections: none waits past its deadline, none is a 500.
      const uploads = await timed(() => Promise.all(Array.from({ length: 8 }, upload)));
      expect(uploads.value.map((r) => r.status)).toEqual(Array(8).fill(503));
      for (const ms of [read.ms, uploads.ms]) expect(ms).toBeLessThan(4 * DEADLINE_MS + 2_000);
    } finally {
      proxy.thaw();
    }

    // Once it answers again the app does too, and every fax is whole and started.
    const deadline = Date.now() + 15_000;
    let again = await request(app.callback()).get(`/api/faxes/${id}`).set('Authorization', `Bearer ${token}`);
    while (again.status !== 200 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      again = await request(app.callback()).get(`/api/faxes/${id}`).set('Authorization', `Bearer ${token}`);
    }
    expect(again.status).toBe(200);
    const withoutDocument: unknown[] = await h.t.db.query(`SELECT id FROM fax f WHERE NOT EXISTS (SELECT 1 FROM document d WHERE d.fax_id = f.id AND d.kind = 'original')`);
    expect(withoutDocument).toEqual([]);
    await new WorkflowStarter(new Faxes(h.t.db), h.workflows, silentLogger, { intervalMs: 60_000, graceMs: 0 }).startWaiting();
    const rows = await h.t.db.getRepository(Fax).find({ select: ['id', 'workflowStartedAt'] });
    for (const row of rows) expect(h.workflows.started).toContain(row.id);
    expect(rows.every((r) => r.workflowStartedAt !== null)).toBe(true);
  }, 60_000);
});

describe('a frozen engine', () => {
  let h: WebHarness;
  let engine: Freezable;
  let dataDir: string;
  let connection: Connection;
  let client: Client;

  beforeAll(async () => {
    h = await createWebHarness();
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'durafax-frozen-engine-'));
    const port = await freePort();
    engine = freezable(spawn(process.execPath, [CLI, 'engine', '--port', String(port), '--data-dir', dataDir, ...ENGINE_SEARCH_ATTRIBUTE_FLAGS], { stdio: 'ignore' }));
    const deadline = Date.now() + 20_000;
    for (;;) {
      try {
        connection = await Connection.connect({ address: `127.0.0.1:${port}`, connectTimeout: '1s' });
        break;
      } catch (err) {
        if (Date.now() > deadline) throw err;
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    client = new Client({ connection });
  }, 30_000);
  afterAll(async () => {
    await connection?.close();
    await engine?.stop();
    await h?.close();
    if (dataDir) await fs.rm(dataDir, { recursive: true, force: true });
  });

  test('an upload is accepted whole and started once the engine answers; cancel and checkout give 503 within the deadline', async () => {
    const workflows = new TemporalFaxWorkflows(client, `frozen-${Date.now()}`, DEADLINE_MS);
    const app = createApp({ ...h.deps, workflows });
    const upload = () => request(app.callback()).post('/api/faxes').field('to', '+49 30 1234567').attach('document', PDF, 'a.pdf');
    const running = await upload();
    expect(running.status).toBe(201);
    const first = running.body as { id: string; token: string };
    await h.t.db.getRepository(Fax).update({ id: first.id }, { status: 'awaiting_payment', pages: 1, priceAmount: 178, currency: 'eur' });

    engine.freeze();
    let late: { id: string; token: string };
    try {
      // The fax and its document are committed before the workflow is asked for: the answer
      // carries the token, the workflow follows when the engine answers.
      const accepted = await timed(upload);
      expect(accepted.value.status).toBe(201);
      expect(accepted.ms).toBeLessThan(DEADLINE_MS + 3_000);
      late = accepted.value.body as { id: string; token: string };
      expect((await h.t.db.getRepository(Fax).findOneByOrFail({ id: late.id })).workflowStartedAt).toBeNull();

      const auth = { Authorization: `Bearer ${first.token}` };
      const cancel = await timed(() => request(app.callback()).post(`/api/faxes/${first.id}/cancel`).set(auth));
      expect(cancel.value.status).toBe(503);
      expect(cancel.value.headers['retry-after']).toBe('5');
      expect(cancel.ms).toBeLessThan(DEADLINE_MS + 3_000);
      const checkout = await timed(() => request(app.callback()).post(`/api/faxes/${first.id}/checkout`).set(auth));
      expect(checkout.value.status).toBe(503);
      expect(checkout.ms).toBeLessThan(3 * DEADLINE_MS + 3_000);
    } finally {
      engine.thaw();
    }

    // The starter tries until the engine answers (the first try may still meet it waking up).
    const faxes = new Faxes(h.t.db);
    const starter = new WorkflowStarter(faxes, workflows, silentLogger, { intervalMs: 60_000, graceMs: 0 });
    const deadline = Date.now() + 20_000;
    while ((await faxes.awaitingWorkflow(new Date(), 10)).length > 0 && Date.now() < deadline) {
      if ((await starter.startWaiting()) === 0) await new Promise((r) => setTimeout(r, 200));
    }
    // Every fax has exactly its one workflow, and every workflow its fax.
    const rows = await h.t.db.getRepository(Fax).find({ select: ['id', 'workflowStartedAt'] });
    expect(rows.map((r) => r.id).sort()).toEqual([first.id, late!.id].sort());
    expect(rows.every((r) => r.workflowStartedAt !== null)).toBe(true);
    for (const row of rows) expect((await client.workflow.getHandle(faxWorkflowId(row.id)).describe()).status.name).toBe('RUNNING');
    const listed: string[] = [];
    for await (const wf of client.workflow.list()) listed.push(wf.workflowId);
    expect(listed.sort()).toEqual(rows.map((r) => faxWorkflowId(r.id)).sort());
  }, 90_000);
});
