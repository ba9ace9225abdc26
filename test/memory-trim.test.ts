import v8 from 'node:v8';
import { silentLogger } from '../src/log';
import { mallocTrim, startIdleTrim, type IdleTrim } from '../src/memory-trim';

const MB = 1024 * 1024;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits (up to 8 s) until the trim has run `count` times in all. */
async function trimmed(trim: IdleTrim, count: number): Promise<void> {
  const deadline = Date.now() + 8_000;
  while (trim.trims < count && Date.now() < deadline) await sleep(50);
  expect(trim.trims).toBeGreaterThanOrEqual(count);
}

/** Young-generation collections enough to promote what is still referenced to the old one. */
function promote(): void {
  for (let round = 0; round < 2; round++) for (let i = 0; i < 200_000; i++) void { filler: i };
}

/** Old-generation garbage: objects that live long enough to be promoted, then let go. */
function promoteAndDrop(): void {
  let kept: object[] = [];
  for (let i = 0; i < 600_000; i++) kept.push({ id: i, text: `record ${i}`, list: [i, i + 1] });
  promote();
  kept = [];
  void kept;
}

function oldSpace(): { size: number; used: number } {
  const space = v8.getHeapSpaceStatistics().find((s) => s.space_name === 'old_space');
  return { size: space?.space_size ?? 0, used: space?.space_used_size ?? 0 };
}

/** Busy for `ms` in slices, with the event loop turning between them. */
async function work(ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    const slice = Date.now() + 20;
    while (Date.now() < slice) void { filler: 0 };
    await new Promise((r) => setImmediate(r));
  }
}

// Each test starts its own trim; the first trim comes once the process is idle after the start.
let trim: IdleTrim | undefined;
afterEach(() => trim?.stop());

test('once idle after the start, a process trims what starting left', async () => {
  trim = startIdleTrim(silentLogger, { checkMs: 200 });
  await trimmed(trim, 1);
});

test('an idle process gives back the heap a busy spell grew', async () => {
  trim = startIdleTrim(silentLogger, { checkMs: 200, activeMs: 60_000 });
  await trimmed(trim, 1);
  promoteAndDrop();
  const grown = process.memoryUsage().heapTotal;
  await trimmed(trim, 2);
  expect(process.memoryUsage().heapTotal).toBeLessThan(grown - 16 * MB);
});

test('an idle process gives back the pages its scattered survivors kept', async () => {
  trim = startIdleTrim(silentLogger, { checkMs: 200, activeMs: 60_000 });
  await trimmed(trim, 1);
  // A busy spell's objects fill the old generation; one in twenty stays referenced, so nearly
  // every page keeps a live object: freeing the dead alone would give back no page.
  const all: object[] = [];
  for (let i = 0; i < 1_000_000; i++) all.push({ id: i, text: `record ${i}`, list: [i] });
  promote();
  const survivors = all.filter((_, i) => i % 20 === 0);
  all.length = 0;
  const grown = oldSpace().size;
  await trimmed(trim, 2);
  const after = oldSpace();
  expect(after.size).toBeLessThan(grown / 3);
  // What is left committed is mostly live: the survivors were moved together.
  expect(after.size).toBeLessThan(after.used * 2 + 8 * MB);
  expect(survivors).toHaveLength(50_000);
});

test('an idle process gives the C heap back the buffers a busy spell freed', async () => {
  // glibc on Linux, as in production: the trim must be there, not skipped in silence.
  expect(mallocTrim()).not.toBeNull();
  trim = startIdleTrim(silentLogger, { checkMs: 200, activeMs: 60_000 });
  await trimmed(trim, 1);
  // 200 MB of small buffers, one in fifty kept: the free blocks lie below live ones, where
  // glibc's own free() never gives pages back.
  let buffers: Buffer[] = [];
  for (let i = 0; i < 100_000; i++) buffers.push(Buffer.allocUnsafeSlow(2_000).fill(i));
  const kept = buffers.filter((_, i) => i % 50 === 0);
  buffers = [];
  const grown = process.memoryUsage.rss();
  await trimmed(trim, 2);
  expect(process.memoryUsage.rss()).toBeLessThan(grown - 120 * MB);
  expect(kept.every((buffer, i) => buffer[0] === (i * 50) % 256)).toBe(true);
});

test('work that grew nothing is followed by a trim once it adds up, and idleness alone by none', async () => {
  trim = startIdleTrim(silentLogger, { checkMs: 200, activeMs: 400 });
  await trimmed(trim, 1);
  await sleep(1_500);
  expect(trim.trims).toBe(1);
  await work(600);
  await trimmed(trim, 2);
});

test('letting go of enough is followed by a trim', async () => {
  let released = 0;
  trim = startIdleTrim(silentLogger, { checkMs: 200, activeMs: 60_000, released: { count: () => released, enough: 100 } });
  await trimmed(trim, 1);
  released += 99;
  await sleep(1_500);
  expect(trim.trims).toBe(1);
  released += 1;
  await trimmed(trim, 2);
});

test('a busy process is left alone', async () => {
  trim = startIdleTrim(silentLogger, { checkMs: 200 });
  // The event loop busy for the whole of each interval: no collection is forced on it.
  const until = Date.now() + 1_000;
  while (Date.now() < until) promoteAndDrop();
  expect(trim.trims).toBe(0);
});
