/**
 * Runs one idle-trim scenario in a process of its own, so the heap it measures holds only the
 * scenario (a jest worker's heap carries the test files it ran before), and prints its figures
 * as one JSON line. Run with `node -r src/conversion/child/register-ts.js`.
 */
import v8 from 'node:v8';
import { silentLogger } from '../../src/log';
import { mallocTrim, startIdleTrim, type IdleTrim } from '../../src/memory-trim';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function trimmed(trim: IdleTrim, count: number): Promise<void> {
  const deadline = Date.now() + 8_000;
  while (trim.trims < count && Date.now() < deadline) await sleep(50);
  if (trim.trims < count) throw new Error(`no trim ${count} in 8 s`);
}

const oldSpace = (): number => v8.getHeapSpaceStatistics().find((s) => s.space_name === 'old_space')?.space_size ?? 0;

/** Old-generation objects, one in twenty kept: nearly every page keeps a live one. */
async function scattered(trim: IdleTrim): Promise<object> {
  const base = oldSpace();
  const all: object[] = [];
  for (let i = 0; i < 1_000_000; i++) all.push({ id: i, text: `record ${i}`, list: [i] });
  // Young-generation collections promote what is still referenced.
  for (let round = 0; round < 2; round++) for (let i = 0; i < 200_000; i++) void { filler: i };
  const survivors = all.filter((_, i) => i % 20 === 0);
  all.length = 0;
  const grown = oldSpace();
  await trimmed(trim, 2);
  return { base, grown, after: oldSpace(), survivors: survivors.length };
}

/** 200 MB of small buffers, one in fifty kept: free blocks below live ones, which free() keeps. */
async function cHeap(trim: IdleTrim): Promise<object> {
  let buffers: Buffer[] = [];
  for (let i = 0; i < 100_000; i++) buffers.push(Buffer.allocUnsafeSlow(2_000).fill(i));
  const kept = buffers.filter((_, i) => i % 50 === 0);
  buffers = [];
  const grown = process.memoryUsage.rss();
  await trimmed(trim, 2);
  return { grown, after: process.memoryUsage.rss(), intact: kept.every((buffer, i) => buffer[0] === (i * 50) % 256), mallocTrim: mallocTrim() !== null };
}

async function main(): Promise<void> {
  const scenario = process.argv[2];
  const trim = startIdleTrim(silentLogger, { checkMs: 200, activeMs: 60_000 });
  await trimmed(trim, 1);
  const figures = scenario === 'scattered' ? await scattered(trim) : await cHeap(trim);
  trim.stop();
  process.stdout.write(`${JSON.stringify(figures)}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${String(err)}\n`);
  process.exit(1);
});
