import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';

// Each scenario runs in a fresh process (test/helpers/memory-trim-child.ts): the heap it measures
// holds only the scenario, and nothing else keeps its event loop from being idle.
const execFileAsync = promisify(execFile);

const MB = 1024 * 1024;

/** Runs a scenario of test/helpers/memory-trim-child.ts in a fresh process; its figures. */
async function inFreshProcess<T>(scenario: string): Promise<T> {
  const root = path.join(__dirname, '..');
  const { stdout } = await execFileAsync(
    process.execPath,
    ['-r', path.join(root, 'src/conversion/child/register-ts.js'), path.join(__dirname, 'helpers/memory-trim-child.ts'), scenario],
    {
      timeout: 60_000,
    },
  );
  return JSON.parse(stdout) as T;
}

test('once idle after the start, a process trims what starting left', async () => {
  const { firstTrimMs } = await inFreshProcess<{ firstTrimMs: number }>('start');
  // The first idle check (every 200 ms here), then the second it waits for freed buffers.
  expect(firstTrimMs).toBeLessThan(8_000);
}, 90_000);

test('an idle process gives back the heap a busy spell grew', async () => {
  const { grown, after } = await inFreshProcess<{ grown: number; after: number }>('grown');
  expect(after).toBeLessThan(grown - 16 * MB);
}, 90_000);

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
  const { afterIdle, afterWork } = await inFreshProcess<{ afterIdle: number; afterWork: number }>('work');
  expect(afterIdle).toBe(1);
  expect(afterWork).toBe(2);
}, 90_000);

test('letting go of enough is followed by a trim, and so is letting go of a few that then stops', async () => {
  const { whileGoing, shortOfSettled, settled } = await inFreshProcess<{ whileGoing: number; shortOfSettled: number; settled: number }>('released');
  expect(whileGoing).toBe(1);
  expect(shortOfSettled).toBe(3);
  expect(settled).toBe(4);
}, 90_000);

test('a busy process is left alone', async () => {
  const { spells, whileBusy } = await inFreshProcess<{ spells: number; whileBusy: number }>('busy');
  expect(spells).toBeGreaterThan(0);
  expect(whileBusy).toBe(0);
}, 90_000);
