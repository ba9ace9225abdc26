import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { silentLogger } from '../src/log';
import { startIdleTrim, type IdleTrim } from '../src/memory-trim';

const execFileAsync = promisify(execFile);

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

/** Runs a scenario of test/helpers/memory-trim-child.ts in a fresh process; its figures. */
async function inFreshProcess<T>(scenario: string): Promise<T> {
  const root = path.join(__dirname, '..');
  const { stdout } = await execFileAsync(process.execPath, ['-r', path.join(root, 'src/conversion/child/register-ts.js'), path.join(__dirname, 'helpers/memory-trim-child.ts'), scenario], {
    timeout: 60_000,
  });
  return JSON.parse(stdout) as T;
}

test('an idle process gives back the pages its scattered survivors kept', async () => {
  const { base, grown, after, survivors } = await inFreshProcess<{ base: number; grown: number; after: number; survivors: number }>('scattered');
  expect(survivors).toBe(50_000);
  expect(grown - base).toBeGreaterThan(40 * MB);
  // Most of the pages the spell added are given back (the survivors, moved together, fill a few).
  expect(after - base).toBeLessThan((grown - base) * 0.3);
}, 90_000);

test('an idle process gives the C heap back the buffers a busy spell freed', async () => {
  const { grown, after, intact, mallocTrim } = await inFreshProcess<{ grown: number; after: number; intact: boolean; mallocTrim: boolean }>('c-heap');
  // glibc on Linux, as in production: the trim must be there, not skipped in silence.
  expect(mallocTrim).toBe(true);
  expect(after).toBeLessThan(grown - 120 * MB);
  expect(intact).toBe(true);
}, 90_000);

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
