/**
 * Runs one idle-trim scenario in a process of its own and prints its figures as one JSON line.
 * A jest worker is no place for them: its heap carries the test files it ran before, and what
 * those left running (timers, sockets, a collection of that heap) keeps its event loop from
 * looking idle. Run with `node -r src/conversion/child/register-ts.js`.
 */
import v8 from 'node:v8';
import { silentLogger } from '../../src/log';
import { mallocTrim, startIdleTrim, type IdleTrim, type IdleTrimOptions } from '../../src/memory-trim';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits (up to 8 s) until the trim has run `count` times in all; fails the scenario otherwise. */
async function trimmed(trim: IdleTrim, count: number): Promise<void> {
  const deadline = Date.now() + 8_000;
  while (trim.trims < count && Date.now() < deadline) await sleep(50);
  if (trim.trims < count) throw new Error(`trim ${count} did not come within 8 s (${trim.trims} so far)`);
}

const oldSpace = (): number => v8.getHeapSpaceStatistics().find((s) => s.space_name === 'old_space')?.space_size ?? 0;

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

type Scenario = (start: (options: IdleTrimOptions) => IdleTrim) => Promise<object>;

const scenarios: Record<string, Scenario> = {
  /** The first trim, once idle after the start. */
  async start(start) {
    const began = Date.now();
    await trimmed(start({}), 1);
    return { firstTrimMs: Date.now() - began };
  },

  /** A busy spell grows the heap; idle again, it is given back. */
  async grown(start) {
    const trim = start({ activeMs: 60_000 });
    await trimmed(trim, 1);
    promoteAndDrop();
    const grown = process.memoryUsage().heapTotal;
    await trimmed(trim, 2);
    return { grown, after: process.memoryUsage().heapTotal };
  },

  /** Old-generation objects, one in twenty kept: nearly every page keeps a live one. */
  async scattered(start) {
    const trim = start({ activeMs: 60_000 });
    await trimmed(trim, 1);
    const base = oldSpace();
    const all: object[] = [];
    for (let i = 0; i < 1_000_000; i++) all.push({ id: i, text: `record ${i}`, list: [i] });
    promote();
    const survivors = all.filter((_, i) => i % 20 === 0);
    all.length = 0;
    const grown = oldSpace();
    await trimmed(trim, 2);
    return { base, grown, after: oldSpace(), survivors: survivors.length };
  },

  /** 200 MB of small buffers, one in fifty kept: free blocks below live ones, which free() keeps. */
  async 'c-heap'(start) {
    const trim = start({ activeMs: 60_000 });
    await trimmed(trim, 1);
    let buffers: Buffer[] = [];
    for (let i = 0; i < 100_000; i++) buffers.push(Buffer.allocUnsafeSlow(2_000).fill(i));
    const kept = buffers.filter((_, i) => i % 50 === 0);
    buffers = [];
    const grown = process.memoryUsage.rss();
    await trimmed(trim, 2);
    return { grown, after: process.memoryUsage.rss(), intact: kept.every((buffer, i) => buffer[0] === (i * 50) % 256), mallocTrim: mallocTrim() !== null };
  },

  /** Work that grew nothing, once it adds up; idleness alone brings no trim. */
  async work(start) {
    const trim = start({ activeMs: 400 });
    await trimmed(trim, 1);
    await sleep(1_500);
    const afterIdle = trim.trims;
    await work(600);
    await trimmed(trim, 2);
    return { afterIdle, afterWork: trim.trims };
  },

  /**
   * Letting go (the engine's paged-out runs): a few that keep coming bring no trim, `enough`
   * does; a few and then nothing more (a stream's last) bring one once it stops, fewer than
   * `settled` none.
   */
  async released(start) {
    let released = 0;
    const trim = start({ activeMs: 60_000, released: { count: () => released, enough: 100, settled: 5 } });
    await trimmed(trim, 1);
    // Still letting go, about 20 between two looks (every 200 ms): short of 100, no trim...
    const going = setInterval(() => (released += 5), 50);
    await sleep(600);
    const whileGoing = trim.trims;
    // ...at 100 one.
    await trimmed(trim, 2);
    clearInterval(going);
    released += 10;
    // Then it stops: what went since that trim brings one more, once it has stopped.
    await trimmed(trim, 3);
    // Fewer than `settled`, then nothing: no trim.
    released += 4;
    await sleep(1_500);
    const shortOfSettled = trim.trims;
    released += 1;
    await trimmed(trim, 4);
    return { whileGoing, shortOfSettled, settled: trim.trims };
  },

  /** The event loop busy nearly all of each interval, turning between spells: no collection is forced on it. */
  async busy(start) {
    const trim = start({});
    const until = Date.now() + 1_500;
    let spells = 0;
    while (Date.now() < until) {
      promoteAndDrop();
      spells++;
      // The interval's check runs here, between spells, and finds the loop busy.
      await new Promise((r) => setImmediate(r));
    }
    const whileBusy = trim.trims;
    // The same trim, idle afterwards, does run: the check above is not blind.
    await trimmed(trim, 1);
    return { spells, whileBusy };
  },
};

async function main(): Promise<void> {
  const scenario = scenarios[process.argv[2] ?? ''];
  if (!scenario) throw new Error(`no scenario ${process.argv[2]}; there are ${Object.keys(scenarios).join(', ')}`);
  let trim: IdleTrim | undefined;
  const figures = await scenario((options) => (trim = startIdleTrim(silentLogger, { checkMs: 200, ...options })));
  trim?.stop();
  process.stdout.write(`${JSON.stringify(figures)}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${String(err)}\n`);
  process.exit(1);
});
