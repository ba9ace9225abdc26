import { readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { TEST_NUMBERS } from '../../../src/twins/carrier';
import { startMediaServer, waitForFinal, type MediaServer } from '../../helpers/carrier';
import { journalLines, journalState, liveBytes } from '../journal-file';
import { carrierFor, JOURNAL, post, restartable, sendAll } from './restartable';

let media: MediaServer;

beforeAll(async () => {
  media = await startMediaServer(50);
});
afterAll(async () => {
  await media.close();
});

test('compaction keeps every fax and bounds the file', async () => {
  const env = await restartable({ journalMinCompactBytes: 2048 });
  let twin = await env.start();
  try {
    const ids = await sendAll(media, twin, 12);
    const before = ids.map((id) => twin.fax(id));
    await twin.stop();
    const lines = await journalLines(env.file);
    // Each fax was recorded at least five times (queued, media processed, originated, sending, a page, delivered).
    expect(lines.length).toBeLessThan(5 * ids.length);
    expect((await fs.stat(env.file)).size).toBeLessThanOrEqual(Math.max(2048, 2 * (await liveBytes(env.file))));
    const state = await journalState(env.file);
    for (const id of ids) expect(state.get(id)).toMatchObject({ id, status: 'delivered' });

    twin = await env.start();
    const carrier = carrierFor(twin);
    for (const [i, id] of ids.entries()) {
      expect(twin.fax(id)).toEqual(before[i]);
      expect(await carrier.get(id)).toMatchObject({ id, status: 'delivered' });
    }
  } finally {
    await twin.stop();
    await env.cleanup();
  }
});

test('a torn last record is cut off and everything before it loads', async () => {
  const env = await restartable();
  let twin = await env.start();
  try {
    const ids = await sendAll(media, twin, 3);
    await twin.stop();
    const whole = (await fs.stat(env.file)).size;
    const text = await fs.readFile(env.file, 'utf8');
    const last = text.slice(text.lastIndexOf('\n', text.length - 2) + 1);
    await fs.appendFile(env.file, last.slice(0, Math.floor(last.length / 2)));

    twin = await env.start();
    expect((await fs.stat(env.file)).size).toBe(whole);
    for (const id of ids) expect(await carrierFor(twin).get(id)).toMatchObject({ id, status: 'delivered' });
  } finally {
    await twin.stop();
    await env.cleanup();
  }
});

test('a state file of the earlier format is migrated into the journal once', async () => {
  const env = await restartable();
  let twin = await env.start();
  try {
    const ids = await sendAll(media, twin, 3, TEST_NUMBERS.voiceLine);
    const before = ids.map((id) => twin.fax(id));
    await twin.stop();
    const faxes = [...(await journalState(env.file)).values()];
    await fs.writeFile(path.join(env.dataDir, 'carrier-twin.json'), JSON.stringify({ version: 1, faxes }));
    await fs.rm(env.file);

    twin = await env.start();
    const files = await fs.readdir(env.dataDir);
    expect(files).toContain(JOURNAL);
    expect(files).not.toContain('carrier-twin.json');
    expect(ids.map((id) => twin.fax(id))).toEqual(before);
    for (const id of ids) expect(await carrierFor(twin).get(id)).toMatchObject({ status: 'failed', failureReason: 'receiver_incompatible_destination' });
  } finally {
    await twin.stop();
    await env.cleanup();
  }
});

test('concurrent faxes are all recorded before they are answered; webhooks report only what is on disk', async () => {
  const finalsOnDisk: boolean[] = [];
  let file = '';
  const receiver = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const { data } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { data: { event_type: string; payload: { fax_id: string } } };
      if (data.event_type === 'fax.delivered') {
        // Read the journal synchronously, while the twin waits for this answer.
        const records = readFileSync(file, 'utf8')
          .split('\n')
          .filter((l) => l.length > 0)
          .map((l) => JSON.parse(l.slice(9)) as [string, { status?: string }?]);
        const latest = records.filter((r) => r[0] === data.payload.fax_id).pop();
        finalsOnDisk.push(latest?.[1]?.status === 'delivered');
      }
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const env = await restartable({ webhookUrl: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook` });
  file = env.file;
  let twin = await env.start();
  try {
    // Each answer is checked against the file the moment it arrives.
    const onDiskAtAnswer: boolean[] = [];
    const answers = await Promise.all(
      Array.from({ length: 30 }, async () => {
        const answer = await post(twin, { connection_id: 'conn', from: '+15005550006', to: '+493012345678', media_url: media.url('/doc-1.pdf') });
        onDiskAtAnswer.push(readFileSync(env.file, 'utf8').includes(`["${answer.id}",`));
        return answer;
      }),
    );
    expect(answers.every((a) => a.status === 202)).toBe(true);
    expect(onDiskAtAnswer).toEqual(answers.map(() => true));
    await Promise.all(answers.map(({ id }) => waitForFinal(carrierFor(twin), id)));
    await twin.webhooksIdle();
    expect(finalsOnDisk).toHaveLength(30);
    expect(finalsOnDisk.every(Boolean)).toBe(true);
    await twin.stop();

    twin = await env.start();
    for (const { id } of answers) expect(twin.transmissions(id)).toBe(1);
  } finally {
    await twin.stop();
    await env.cleanup();
    await new Promise<void>((resolve) => receiver.close(() => resolve()));
  }
});
