import { setTimeout as delay } from 'node:timers/promises';
import { conversionImminent, keepConversionProcesses, stopConversionProcesses } from '../../src/conversion';
import { announceUpload, listenForUploads } from '../../src/db/upload-notices';
import { createLogger } from '../../src/log';
import { createTestDatabase, type TestDatabase } from '../helpers/db';
import { canListProcesses, conversionProcesses } from '../helpers/conversion-processes';

const log = createLogger('test', 'error');
const linux = canListProcesses;

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => {
  stopConversionProcesses();
  await t.drop();
});

/** Announces uploads until `heard()` says one arrived (the listener connects in the background). */
async function announceUntil(heard: () => boolean): Promise<void> {
  for (let i = 0; i < 100 && !heard(); i++) {
    announceUpload(t.db, log);
    await delay(100);
  }
}

test('an announced upload reaches every listening worker, and none after it stopped listening', async () => {
  let first = 0;
  let second = 0;
  const stopFirst = listenForUploads(t.url, () => first++, log);
  const stopSecond = listenForUploads(t.url, () => second++, log);
  await announceUntil(() => first > 0 && second > 0);
  expect(first).toBeGreaterThan(0);
  expect(second).toBeGreaterThan(0);

  await stopFirst();
  const before = { first, second };
  announceUpload(t.db, log);
  for (let i = 0; i < 50 && second === before.second; i++) await delay(100);
  expect(second).toBeGreaterThan(before.second);
  expect(first).toBe(before.first);
  await stopSecond();
});

(linux ? test : test.skip)(
  'a worker that hears of an upload readies a conversion process for it',
  async () => {
    keepConversionProcesses({ idleMs: 60_000 });
    expect(conversionProcesses()).toEqual([]);
    const readied: Array<Promise<void>> = [];
    // As the worker's entry point wires it.
    const stop = listenForUploads(t.url, () => readied.push(conversionImminent()), log);
    try {
      await announceUntil(() => readied.length > 0);
      expect(readied.length).toBeGreaterThan(0);
      await Promise.all(readied);
      // However many announcements arrived, one process waits.
      expect(conversionProcesses()).toHaveLength(1);
    } finally {
      await stop();
      stopConversionProcesses();
    }
  },
  60_000,
);
