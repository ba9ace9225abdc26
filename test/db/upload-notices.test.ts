import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { conversionImminent, keepConversionProcesses, stopConversionProcesses } from '../../src/conversion';
import { announceUpload, listenForUploads } from '../../src/db/upload-notices';
import { createLogger } from '../../src/log';
import { createTestDatabase, type TestDatabase } from '../helpers/db';

const log = createLogger('test', 'error');
const linux = process.platform === 'linux';

/** Conversion processes this test process started (Linux /proc). */
function conversionProcesses(): number[] {
  return fs
    .readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .map(Number)
    .filter((pid) => {
      try {
        const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
        const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
        return parent === process.pid && fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(path.join('conversion', 'child', 'main'));
      } catch {
        // It ended meanwhile.
        return false;
      }
    });
}

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
