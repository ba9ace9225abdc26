import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { TEST_NUMBERS, type CarrierTwin } from '../../../src/twins/carrier';
import { MemoryLedger, startMediaServer, waitForFinal, type MediaServer } from '../../helpers/carrier';
import { carrierFor, KEY, restartable, sendAll } from './restartable';

let media: MediaServer;

beforeAll(async () => {
  media = await startMediaServer(50);
});
afterAll(async () => {
  await media.close();
});

async function allPagedOut(twin: CarrierTwin): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (twin.residency().resident > 0) {
    if (Date.now() > deadline) throw new Error(`faxes still in memory: ${JSON.stringify(twin.residency())}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function listed(twin: CarrierTwin, to: string): Promise<string[]> {
  const res = await fetch(`${twin.url}/v2/faxes?filter[to][eq]=${encodeURIComponent(to)}&page[size]=50`, { headers: { authorization: `Bearer ${KEY}` } });
  return ((await res.json()) as { data: { id: string }[] }).data.map((f) => f.id).sort();
}

test('final faxes go to the page file once idle and read back as they were; earlier calls of a fax still count', async () => {
  const env = await restartable({ pageIdleMs: 0 });
  let twin = await env.start();
  try {
    const ids = await sendAll(media, twin, 4);
    const before = ids.map((id) => twin.fax(id));
    await allPagedOut(twin);
    expect(twin.residency().total).toBe(4);
    expect((await fs.stat(path.join(env.dataDir, 'carrier-twin.pages'))).size).toBeGreaterThan(0);
    expect(ids.map((id) => twin.fax(id))).toEqual(before);
    expect(await listed(twin, '+493012345678')).toEqual([...ids].sort());

    // The first call of a fax to this number drops after page one; the next attempt of the same
    // fax goes through: its earlier call is counted though it is paged out, and after a restart.
    const faxId = randomUUID();
    const send = async (attempt: number) => {
      const sent = await carrierFor(twin).sendOnce({ faxId, attempt, to: TEST_NUMBERS.dropsAfterPageOne, mediaUrl: media.url('/doc-2.pdf') }, new MemoryLedger());
      return waitForFinal(carrierFor(twin), sent.id);
    };
    expect(await send(1)).toMatchObject({ status: 'failed', failureReason: 'receiver_call_dropped' });
    await allPagedOut(twin);
    expect(await send(2)).toMatchObject({ status: 'delivered' });
    await twin.stop();

    twin = await env.start();
    expect(twin.residency()).toEqual({ resident: 0, total: 6 });
    expect(await send(3)).toMatchObject({ status: 'delivered' });
    expect(ids.map((id) => twin.fax(id))).toEqual(before);
    expect(await carrierFor(twin).get(ids[0])).toMatchObject({ id: ids[0], status: 'delivered' });
  } finally {
    await twin.stop();
    await env.cleanup();
  }
});
