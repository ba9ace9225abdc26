import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { silentLogger } from '../../src/log';
import { Journal, type SnapshotPolicy } from '../../src/engine/store/journal';

let dir: string;
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'durafax-journal-'));
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

const open = (policy?: SnapshotPolicy): ReturnType<typeof Journal.open> => Journal.open({ dir }, silentLogger, policy);
const segment = async (): Promise<string> =>
  path.join(
    dir,
    (await fs.readdir(dir))
      .filter((n) => n.startsWith('journal-'))
      .sort()
      .at(-1)!,
  );
/** A journal holding the records { n: 1 } and { n: 2 }, synced and closed; returns its segment file. */
async function twoRecords(): Promise<string> {
  const { journal } = await open();
  journal.append({ n: 1 });
  journal.append({ n: 2 });
  await journal.sync();
  await journal.close();
  return segment();
}

test('records come back in order after a reopen, payload bytes intact', async () => {
  const { journal } = await open();
  for (let i = 0; i < 50; i++) journal.append({ i, data: Buffer.from(`payload-${i}`) });
  await journal.sync();
  await journal.close();
  const { recovered } = await open();
  expect(recovered.records).toHaveLength(50);
  expect(recovered.records[49]).toEqual({ i: 49, data: Buffer.from('payload-49') });
});

test('sync() waits for pending records and is a no-op once everything is on disk', async () => {
  const { journal } = await open();
  expect(journal.sync()).toBeUndefined();
  journal.append({ a: 1 });
  const pending = journal.sync();
  expect(pending).toBeInstanceOf(Promise);
  await pending;
  expect(journal.sync()).toBeUndefined();
  expect((await fs.stat(await segment())).size).toBeGreaterThan(8);
  await journal.close();
});

test('a torn tail (crash mid-write) is cut off; the records before it survive and new ones follow', async () => {
  const file = await twoRecords();
  const intact = (await fs.stat(file)).size;
  // Half a record: a length header promising more bytes than follow.
  const header = Buffer.alloc(8);
  header.writeUInt32LE(100, 0);
  await fs.appendFile(file, Buffer.concat([header, Buffer.from('{"n":')]));

  const reopened = await open();
  expect(reopened.recovered.records).toEqual([{ n: 1 }, { n: 2 }]);
  expect((await fs.stat(file)).size).toBe(intact);
  reopened.journal.append({ n: 3 });
  await reopened.journal.sync();
  await reopened.journal.close();
  expect((await open()).recovered.records).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
});

test('a record whose checksum does not match ends the journal there', async () => {
  const file = await twoRecords();
  const data = await fs.readFile(file);
  data[data.length - 2] ^= 0xff;
  await fs.writeFile(file, data);
  expect((await open()).recovered.records).toEqual([{ n: 1 }]);
});

test('a snapshot replaces the records it covers; later records are replayed on top of it', async () => {
  const { journal } = await open();
  for (let i = 0; i < 10; i++) journal.append({ before: i });
  await journal.snapshot({ state: 'after ten' });
  journal.append({ after: 1 });
  await journal.sync();
  await journal.close();
  const { recovered } = await open();
  expect(recovered.snapshot).toEqual({ state: 'after ten' });
  expect(recovered.records).toEqual([{ after: 1 }]);
  const files = (await fs.readdir(dir)).sort();
  expect(files.filter((f) => f.startsWith('snapshot-'))).toHaveLength(1);
});

test('the journal asks for a snapshot once it has grown past the threshold, and twice the last snapshot', async () => {
  const { journal } = await open({ compactBytes: 1024, minIntervalMs: 0 });
  expect(journal.wantsSnapshot).toBe(false);
  for (let i = 0; i < 20; i++) journal.append({ filler: 'x'.repeat(100) });
  expect(journal.wantsSnapshot).toBe(true);
  await journal.snapshot({ compacted: 'y'.repeat(4000) });
  expect(journal.wantsSnapshot).toBe(false);
  // Past the threshold but not yet twice the 4 kB snapshot: compacting now would cost more than it saves.
  for (let i = 0; i < 20; i++) journal.append({ filler: 'x'.repeat(100) });
  expect(journal.wantsSnapshot).toBe(false);
  for (let i = 0; i < 60; i++) journal.append({ filler: 'x'.repeat(100) });
  expect(journal.wantsSnapshot).toBe(true);
  await journal.close();
});

test('however fast the journal grows, snapshots are at least the minimum interval apart', async () => {
  const { journal } = await open({ compactBytes: 1024, minIntervalMs: 60_000 });
  for (let i = 0; i < 100; i++) journal.append({ filler: 'x'.repeat(100) });
  // Opening counts as a fresh start (the engine writes a snapshot after recovery).
  expect(journal.wantsSnapshot).toBe(false);
  await journal.close();
});

describe('one file (the dev server shape --db-filename F)', () => {
  const file = (): string => path.join(dir, 'dev.db');
  const openFile = (): ReturnType<typeof Journal.open> => Journal.open({ file: file() }, silentLogger, { minIntervalMs: 0 });

  test('records and snapshots live in that one file (and its lock while open)', async () => {
    const { journal } = await openFile();
    journal.append({ n: 1 });
    await journal.sync();
    expect((await fs.readdir(dir)).sort()).toEqual(['dev.db', 'dev.db.lock']);
    await journal.snapshot({ state: 'one' });
    journal.append({ n: 2 });
    await journal.sync();
    await journal.close();
    expect(await fs.readdir(dir)).toEqual(['dev.db']);
    const { journal: again, recovered } = await openFile();
    expect(recovered).toEqual({ snapshot: { state: 'one' }, records: [{ n: 2 }] });
    await again.close();
  });

  test('records appended while a compaction replaces the file land after its snapshot, none twice', async () => {
    const { journal } = await openFile();
    for (let i = 0; i < 5; i++) journal.append({ before: i });
    const compacting = journal.snapshot({ covers: 'the five before' });
    journal.append({ during: 1 });
    const synced = journal.sync();
    await compacting;
    await synced;
    journal.append({ after: 1 });
    await journal.sync();
    await journal.close();
    const { journal: again, recovered } = await openFile();
    expect(recovered).toEqual({ snapshot: { covers: 'the five before' }, records: [{ during: 1 }, { after: 1 }] });
    await again.close();
  });

  test('a journal an earlier engine kept in the folder F.engine is read from there', async () => {
    const { journal: old } = await Journal.open({ dir: `${file()}.engine` }, silentLogger);
    old.append({ from: 'the folder' });
    await old.sync();
    await old.close();
    const { journal, recovered } = await openFile();
    expect(recovered.records).toEqual([{ from: 'the folder' }]);
    await journal.close();
  });
});

test('one engine per data folder: a second one is refused; a lock left by a dead process is taken over', async () => {
  const { journal } = await open();
  await fs.writeFile(path.join(dir, 'engine.lock'), String(process.ppid));
  await expect(open()).rejects.toThrow(/in use by another engine/);
  await journal.close();
  // A pid that cannot exist stands for an engine killed with -9.
  await fs.writeFile(path.join(dir, 'engine.lock'), '2147483646');
  const reopened = await open();
  expect((await fs.readFile(path.join(dir, 'engine.lock'), 'utf8')).trim()).toBe(String(process.pid));
  await reopened.journal.close();
  await expect(fs.stat(path.join(dir, 'engine.lock'))).rejects.toThrow();
});
