import { PostgresDocumentStore } from '../../src/db/document-store';
import { Fax } from '../../src/db/entities/fax';
import { Faxes } from '../../src/db/faxes';
import { WebhookEvents } from '../../src/db/webhook-events';
import { createTestDatabase, type TestDatabase } from '../helpers/db';

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => {
  await t.drop();
});

async function insertFax(id: string): Promise<void> {
  await t.db.getRepository(Fax).insert({
    id,
    tokenHash: 'a'.repeat(64),
    status: 'converting',
    toNumber: '+493012345678',
    country: 'DE',
    locale: 'de',
    workflowId: `fax-${id}`,
  });
}

test('migrations create the tables with their constraints', async () => {
  await insertFax('00000000-0000-4000-8000-000000000001');
  const row = await t.db.getRepository(Fax).findOneByOrFail({ id: '00000000-0000-4000-8000-000000000001' });
  expect(row.paymentState).toBe('none');
  expect(row.warnings).toEqual([]);
  await expect(t.db.query(`UPDATE fax SET status = 'lost' WHERE id = '00000000-0000-4000-8000-000000000001'`)).rejects.toThrow(/check constraint/);
});

test('webhook events are recorded once', async () => {
  const e = { provider: 'stripe' as const, eventId: 'evt_1', type: 'checkout.session.completed' };
  const results = await Promise.all([new WebhookEvents(t.db).record(e), new WebhookEvents(t.db).record(e), new WebhookEvents(t.db).record(e)]);
  expect(results.filter(Boolean)).toHaveLength(1);
  expect(await new WebhookEvents(t.db).record({ ...e, provider: 'telnyx' })).toBe(true);
});

test('the document store keeps, replaces and purges files', async () => {
  const faxId = '00000000-0000-4000-8000-000000000002';
  await insertFax(faxId);
  const store = new PostgresDocumentStore(t.db);
  const id = await store.put({ faxId, kind: 'original', contentType: 'application/pdf', data: Buffer.from('%PDF-1.7 a') });
  const again = await store.put({ faxId, kind: 'original', contentType: 'application/pdf', data: Buffer.from('%PDF-1.7 bb') });
  expect(again).toBe(id);
  await store.put({ faxId, kind: 'preview', page: 1, contentType: 'image/png', data: Buffer.from('png1') });
  const got = await store.get(id);
  expect(got?.data.toString()).toBe('%PDF-1.7 bb');
  expect(got?.size).toBe(11);
  expect((await store.find(faxId, 'preview', 1))?.data.toString()).toBe('png1');
  expect((await store.list(faxId)).map((d) => `${d.kind}:${d.page}`)).toEqual(['original:0', 'preview:1']);
  expect(await store.purge(faxId)).toBe(2);
  expect(await store.purge(faxId)).toBe(0);
  expect(await store.get(id)).toBeNull();
  const listed = await store.list(faxId);
  expect(listed.every((d) => d.purgedAt instanceof Date)).toBe(true);
});

test('a hold is marked released only from authorized, and says whether it changed anything', async () => {
  const faxes = new Faxes(t.db);
  const id = '00000000-0000-4000-8000-0000000000aa';
  await t.db.getRepository(Fax).insert({
    id,
    tokenHash: 'a'.repeat(64),
    status: 'queued',
    toNumber: '+49301234567',
    country: 'DE',
    locale: 'en',
    workflowId: `fax-${id}`,
    paymentIntentId: 'pi_1',
    paymentState: 'authorized',
  });
  expect(await faxes.markHoldReleased(id, 'pi_other')).toBe(false);
  expect(await faxes.markHoldReleased(id, 'pi_1')).toBe(true);
  expect(await faxes.markHoldReleased(id, 'pi_1')).toBe(false);
  expect(await t.db.getRepository(Fax).findOneByOrFail({ id })).toMatchObject({ paymentState: 'released', settledAt: expect.any(Date) });
});
