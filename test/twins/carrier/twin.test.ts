import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { TelnyxWebhook } from 'telnyx/lib/webhooks';
import { encodeClientState } from '../../../src/carrier/client-state';
import { createCarrier } from '../../../src/carrier/telnyx-carrier';
import type { Carrier } from '../../../src/carrier/types';
import { startCarrierTwin, TEST_NUMBERS, type CarrierTwin } from '../../../src/twins/carrier';
import { MemoryLedger, startMediaServer, waitForFinal, waitUntil, type MediaServer } from '../../helpers/carrier';

const KEY = 'KEY_TWIN_TEST';
let media: MediaServer;

beforeAll(async () => {
  media = await startMediaServer(400);
});
afterAll(async () => {
  await media.close();
});

const carrierFor = (twin: CarrierTwin): Carrier => createCarrier({ apiKey: KEY, connectionId: 'conn', publicKey: twin.publicKey, fromNumber: '+15005550006', apiBase: twin.url });

async function api(twin: CarrierTwin, method: string, p: string, body?: unknown, auth: string | null = `Bearer ${KEY}`) {
  const res = await fetch(`${twin.url}${p}`, {
    method,
    headers: { ...(auth ? { authorization: auth } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, any> }; // eslint-disable-line @typescript-eslint/no-explicit-any -- JSON answers are checked field by field
}

describe('Telnyx API shapes', () => {
  let twin: CarrierTwin;
  beforeAll(async () => {
    twin = await startCarrierTwin({ port: 0, msPerPage: 5, apiKey: KEY });
  });
  afterAll(async () => {
    await twin.stop();
  });

  const valid = () => ({ connection_id: 'conn', from: '+15005550006', to: '+493012345678', media_url: media.url('/doc-1.pdf') });

  test('authentication is required', async () => {
    const none = await api(twin, 'GET', '/v2/faxes', undefined, null);
    expect(none.status).toBe(401);
    expect(none.body.errors[0]).toMatchObject({ code: '10009', title: 'Authentication failed' });
    expect((await api(twin, 'GET', '/v2/faxes', undefined, 'Bearer KEY_OTHER')).status).toBe(401);
  });

  test('invalid parameters get 422 with Telnyx error bodies', async () => {
    const { to: _to, ...noTo } = valid();
    const missing = await api(twin, 'POST', '/v2/faxes', noTo);
    expect(missing.status).toBe(422);
    expect(missing.body.errors[0]).toMatchObject({ code: '10004', source: { pointer: '/to' } });
    expect((await api(twin, 'POST', '/v2/faxes', { ...valid(), to: '030 1234567' })).body.errors[0]).toMatchObject({ code: '10016', source: { pointer: '/to' } });
    expect((await api(twin, 'POST', '/v2/faxes', { ...valid(), media_url: 'ftp://x/y.pdf' })).body.errors[0]).toMatchObject({ code: '10003' });
    expect((await api(twin, 'POST', '/v2/faxes', { ...valid(), client_state: 'not base64!' })).body.errors[0]).toMatchObject({
      code: '10015',
      source: { pointer: '/client_state' },
    });
    expect(await api(twin, 'POST', '/v2/faxes', '{"broken')).toMatchObject({ status: 400, body: { errors: [{ code: '10023' }] } });
    expect((await api(twin, 'GET', '/v2/faxes?page[size]=1000')).status).toBe(422);
    expect((await api(twin, 'GET', '/v2/faxes?filter[created_at][gte]=yesterday')).status).toBe(422);
    // Nothing refused was accepted as a fax.
    expect((await api(twin, 'GET', '/v2/faxes')).body.meta).toMatchObject({ total_results: 0 });
  });

  test('unknown faxes and routes are 404; a final fax cannot be cancelled', async () => {
    expect((await api(twin, 'GET', `/v2/faxes/${randomUUID()}`)).body.errors[0]).toMatchObject({ code: '10005' });
    expect((await api(twin, 'GET', '/v2/calls')).status).toBe(404);
    const created = await api(twin, 'POST', '/v2/faxes', valid());
    expect(created.status).toBe(202);
    expect(created.body.data).toMatchObject({ record_type: 'fax', direction: 'outbound', status: 'queued', to: '+493012345678', failure_reason: null });
    const carrier = carrierFor(twin);
    await waitForFinal(carrier, created.body.data.id as string);
    const refused = await api(twin, 'POST', `/v2/faxes/${created.body.data.id}/actions/cancel`);
    expect(refused.status).toBe(422);
    expect(refused.body.errors[0].title).toBe('Fax cannot be cancelled');
  });

  test('the list filters by destination and creation time, newest first, in pages', async () => {
    const to = '+33123456789';
    const before = new Date(Date.now() - 1000).toISOString();
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await api(twin, 'POST', '/v2/faxes', { ...valid(), to })).body.data.id as string);
    const eq = await api(twin, 'GET', `/v2/faxes?filter[to][eq]=${encodeURIComponent(to)}&page[size]=2`);
    expect(eq.body.meta).toMatchObject({ page_number: 1, total_pages: 2, total_results: 3 });
    const page2 = await api(twin, 'GET', `/v2/faxes?filter[to]=${encodeURIComponent(to)}&page[size]=2&page[number]=2`);
    const listed = [...eq.body.data, ...page2.body.data].map((f: { id: string }) => f.id);
    expect(new Set(listed)).toEqual(new Set(ids));
    expect(listed[0]).toBe(ids[2]);
    const later = await api(
      twin,
      'GET',
      `/v2/faxes?filter[to][eq]=${encodeURIComponent(to)}&filter[created_at][gte]=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`,
    );
    expect(later.body.data).toEqual([]);
    const since = await api(twin, 'GET', `/v2/faxes?filter[created_at][gte]=${encodeURIComponent(before)}&filter[to][eq]=${encodeURIComponent(to)}`);
    expect(since.body.data).toHaveLength(3);
  });

  test('without client_state the busy count goes by destination', async () => {
    const carrier = carrierFor(twin);
    const results: string[] = [];
    for (let i = 0; i < 3; i++) {
      const created = await api(twin, 'POST', '/v2/faxes', { ...valid(), to: TEST_NUMBERS.busyTwice });
      results.push((await waitForFinal(carrier, created.body.data.id as string)).status);
    }
    expect(results).toEqual(['failed', 'failed', 'delivered']);
  });
});

test('webhooks verify with the published key through the telnyx library', async () => {
  const received: Array<{ body: string; headers: Record<string, string> }> = [];
  const receiver = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ body: Buffer.concat(chunks).toString('utf8'), headers: req.headers as Record<string, string> });
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const twin = await startCarrierTwin({ port: 0, msPerPage: 5, webhookUrl: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook` });
  try {
    const faxId = randomUUID();
    const sent = await carrierFor(twin).sendOnce({ faxId, attempt: 1, to: TEST_NUMBERS.voiceLine, mediaUrl: media.url('/doc-1.pdf') }, new MemoryLedger());
    await waitUntil('the failure webhook arrived', () => received.some((r) => r.body.includes('fax.failed')));
    const verifier = new TelnyxWebhook(twin.publicKey);
    for (const r of received) await expect(verifier.verify(r.body, r.headers)).resolves.toBeUndefined();
    await expect(verifier.verify(received[0].body.replace('fax.queued', 'fax.delivered'), received[0].headers)).rejects.toThrow();
    const failed = JSON.parse(received.find((r) => r.body.includes('fax.failed'))!.body);
    expect(failed).toMatchObject({
      data: {
        event_type: 'fax.failed',
        record_type: 'event',
        payload: {
          fax_id: sent.id,
          status: 'failed',
          failure_reason: 'receiver_incompatible_destination',
          client_state: encodeClientState({ faxId, attempt: 1 }),
          direction: 'outbound',
        },
      },
      meta: { attempt: 1 },
    });
    expect(received.map((r) => (JSON.parse(r.body) as { data: { event_type: string } }).data.event_type)).toEqual(['fax.queued', 'fax.media.processed', 'fax.failed']);
  } finally {
    await twin.stop();
    await new Promise<void>((resolve) => receiver.close(() => resolve()));
  }
});

test('state and key survive a restart; calls cut off fail, faxes not yet dialled resume', async () => {
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'durafax-carrier-twin-'));
  try {
    const first = await startCarrierTwin({ port: 0, msPerPage: 150, dataDir });
    const carrier1 = carrierFor(first);
    const sendingFaxId = randomUUID();
    const inCall = await carrier1.sendOnce({ faxId: sendingFaxId, attempt: 1, to: '+493012345678', mediaUrl: media.url('/doc-8.pdf') }, new MemoryLedger());
    await waitUntil('a page went through', async () => ((await carrier1.get(inCall.id)).pagesSent ?? 0) >= 1);
    const waitingFaxId = randomUUID();
    // The slow document keeps this one queued (fetching) while the twin stops.
    const waiting = await carrier1.sendOnce({ faxId: waitingFaxId, attempt: 1, to: '+493012345679', mediaUrl: media.url('/slow-1.pdf') }, new MemoryLedger());
    expect((await carrier1.get(waiting.id)).status).toBe('queued');
    const publicKey = first.publicKey;
    await first.stop();

    const second = await startCarrierTwin({ port: 0, msPerPage: 10, dataDir });
    try {
      expect(second.publicKey).toBe(publicKey);
      const carrier2 = carrierFor(second);
      const cut = await carrier2.get(inCall.id);
      expect(cut).toMatchObject({ status: 'failed', failureReason: 'carrier_lost', clientState: { faxId: sendingFaxId, attempt: 1 } });
      expect(cut.pagesSent).toBeGreaterThanOrEqual(1);
      expect((await waitForFinal(carrier2, waiting.id)).status).toBe('delivered');
      expect(second.transmissions(sendingFaxId)).toBe(1);
      expect(second.transmissions(waitingFaxId)).toBe(1);
    } finally {
      await second.stop();
    }
  } finally {
    await fs.rm(dataDir, { recursive: true, force: true });
  }
});
