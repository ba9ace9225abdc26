import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { silentLogger } from '../../src/log';
import { Journal } from '../../src/twins/journal';

let dir: string;
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'durafax-journal-'));
});
afterEach(async () => {
  jest.restoreAllMocks();
  await fs.rm(dir, { recursive: true, force: true });
});

async function open(state: Map<string, unknown>) {
  return Journal.open({ file: path.join(dir, 'state.journal'), log: silentLogger, entries: () => state });
}

function set(journal: Journal, state: Map<string, unknown>, key: string, value: unknown): void {
  state.set(key, value);
  journal.put(key, value);
}

/** The prototype of the file handles the journal writes through, to make the disk fail. */
async function fileHandlePrototype(): Promise<object> {
  const handle = await fs.open(path.join(dir, 'probe'), 'w');
  await handle.close();
  return Object.getPrototypeOf(handle) as object;
}

test('a failed sync rejects the changes it held, and the next flush rewrites the whole state', async () => {
  const state = new Map<string, unknown>();
  const { journal } = await open(state);
  set(journal, state, 'a', { n: 1 });
  await journal.flush();
  const proto = (await fileHandlePrototype()) as { datasync(): Promise<void> };
  jest.spyOn(proto, 'datasync').mockRejectedValueOnce(Object.assign(new Error('EIO: i/o error'), { code: 'EIO' }));
  set(journal, state, 'b', { n: 2 });
  await expect(journal.flush()).rejects.toThrow('EIO');
  set(journal, state, 'c', { n: 3 });
  await journal.flush();
  expect(journal.stats().compactions).toBe(1);
  await journal.close();

  const { journal: reopened, entries } = await open(new Map());
  expect([...entries]).toEqual([
    ['a', { n: 1 }],
    ['b', { n: 2 }],
    ['c', { n: 3 }],
  ]);
  await reopened.close();
});

test('a write cut off half-way is not left in the file', async () => {
  const state = new Map<string, unknown>();
  const { journal } = await open(state);
  set(journal, state, 'a', 'first');
  await journal.flush();
  const proto = (await fileHandlePrototype()) as { write(buffer: Buffer, offset: number, length: number): Promise<{ bytesWritten: number }> };
  const write = proto.write;
  jest.spyOn(proto, 'write').mockImplementationOnce(async function (this: unknown, buffer: Buffer, offset: number, length: number) {
    await write.call(this, buffer, offset, Math.floor(length / 2));
    throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
  });
  set(journal, state, 'b', 'second');
  await expect(journal.flush()).rejects.toThrow('ENOSPC');
  // Nothing else changes, but asking for durability again repairs the file.
  await journal.flush();
  await journal.close();

  const text = await fs.readFile(path.join(dir, 'state.journal'), 'utf8');
  expect(text.endsWith('\n')).toBe(true);
  const { journal: reopened, entries } = await open(new Map());
  expect([...entries]).toEqual([
    ['a', 'first'],
    ['b', 'second'],
  ]);
  expect((await fs.readdir(dir)).filter((n) => n.includes('damaged'))).toEqual([]);
  await reopened.close();
});

test('removals replay, and a compaction keeps only what is live', async () => {
  const state = new Map<string, unknown>();
  const { journal } = await open(state);
  for (let i = 0; i < 50; i++) set(journal, state, `k${i % 5}`, i);
  state.delete('k0');
  journal.put('k0', undefined);
  await journal.flush();
  const grown = journal.stats().bytes;
  await journal.compact();
  expect(journal.stats().bytes).toBeLessThan(grown / 5);
  expect(journal.stats().bytes).toBe(journal.stats().liveBytes);
  await journal.close();
  const { journal: reopened, entries } = await open(new Map());
  expect(Object.fromEntries(entries)).toEqual({ k1: 46, k2: 47, k3: 48, k4: 49 });
  await reopened.close();
});

test('compactions in the background lose nothing appended while they write', async () => {
  const state = new Map<string, unknown>();
  const { journal } = await Journal.open({ file: path.join(dir, 'state.journal'), log: silentLogger, entries: () => state, minCompactBytes: 1 });
  // Waves of concurrent changes, each wave's flushes racing the compactions the size rule starts.
  for (let wave = 0; wave < 40; wave++) {
    await Promise.all(
      Array.from({ length: 10 }, async (_, i) => {
        set(journal, state, `k${(wave * 3 + i) % 25}`, { wave, i, pad: 'x'.repeat(200) });
        if (i % 4 === 0) {
          state.delete(`k${i}`);
          journal.put(`k${i}`, undefined);
        }
        await journal.flush();
      }),
    );
  }
  expect(journal.stats().compactions).toBeGreaterThan(5);
  await journal.close();
  expect((await fs.readdir(dir)).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  const { journal: reopened, entries } = await open(new Map());
  expect(Object.fromEntries(entries)).toEqual(Object.fromEntries(state));
  await reopened.close();
});

test('a state of many slices compacts whole, by the size rule and on demand', async () => {
  const state = new Map<string, unknown>();
  const { journal } = await Journal.open({ file: path.join(dir, 'state.journal'), log: silentLogger, entries: () => state, minCompactBytes: 1 });
  for (let i = 0; i < 5000; i++) set(journal, state, `k${i}`, { i });
  await journal.flush();
  for (const round of [1, 2]) {
    for (let i = 0; i < 5000; i++) set(journal, state, `k${i}`, { i, round });
    await journal.flush();
  }
  // Twice the live records' size is passed in the second round: a compaction starts, and closing finishes it.
  await journal.close();
  expect(journal.stats().compactions).toBeGreaterThanOrEqual(1);
  let reopened = await open(new Map());
  expect(reopened.entries).toEqual(state);
  await reopened.journal.close();

  const { journal: again } = await Journal.open({ file: path.join(dir, 'state.journal'), log: silentLogger, entries: () => state });
  await again.compact();
  await again.close();
  reopened = await open(new Map());
  expect(reopened.entries).toEqual(state);
  expect((await fs.stat(path.join(dir, 'state.journal'))).size).toBe(again.stats().liveBytes);
  await reopened.journal.close();
});
