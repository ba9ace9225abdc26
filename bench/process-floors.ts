/**
 * How far each process of `npm start` is at rest above the least it could be: the memory of a
 * Node process that has loaded only the libraries that process is built on (the real Temporal
 * SDK, TypeORM, pg, Koa, the provider clients; nothing of ours but the idle trim), beside the
 * process itself at rest and a bare Node process.
 *
 * Run (builds first; the stack runs the compiled code in dist/, this script runs from source):
 *   npm run build && node -r ./src/conversion/child/register-ts.js bench/process-floors.ts
 * Settings (environment): BENCH_REST_MS (default 30000), BENCH_RUNS (default 3).
 *
 * Each floor is a child `node` started with the flags and the environment `durafax start`
 * gives that process (`--max-semi-space-size=1`, `MALLOC_ARENA_MAX=2`), which requires the
 * libraries, runs the same idle trim as the real process (a compacting collection, then
 * `malloc_trim`) and is read once trimmed: BENCH_RUNS times each, the median printed. Then
 * `durafax start` runs on free loopback ports with a throwaway data folder and each process is
 * read BENCH_REST_MS after "ready", as `bench/fax-throughput.ts` reads it at rest. About a
 * minute in all.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { memoryOf, type Memory } from './fax-processes';
import { note, printTable } from './fax-report';
import { withStack } from './fax-stack';
import { memoryNow, SUPERVISOR } from './fax-usage';

const REST_MS = Number(process.env.BENCH_REST_MS ?? 30_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const ROOT = path.resolve(__dirname, '..');
const SMALL_YOUNG_GENERATION = '--max-semi-space-size=1';

interface Floor {
  /** The process of the stack it is the floor of, by the name `memoryNow` gives it. */
  process: string;
  /** What it loads, for the table. */
  what: string;
  flags: string[];
  modules: string[];
}

/** Targets at rest (MiB RSS), from the issue the memory work answers. */
const TARGET_MB: Record<string, number> = { web: 60, worker: 150, engine: 60 };

const FLOORS: Floor[] = [
  { process: 'bare', what: 'a bare Node process', flags: [], modules: [] },
  {
    process: 'web',
    what: 'the Temporal SDK client, TypeORM, pg, Koa, its router, Eta',
    flags: [SMALL_YOUNG_GENERATION],
    modules: ['@temporalio/client', 'typeorm', 'pg', 'koa', '@koa/router', 'eta'],
  },
  {
    process: 'worker',
    what: 'the Temporal SDK worker, TypeORM, pg, stripe, telnyx',
    flags: [SMALL_YOUNG_GENERATION],
    modules: ['@temporalio/worker', 'typeorm', 'pg', 'stripe', 'telnyx'],
  },
  {
    process: 'engine',
    what: "grpc-js and the Temporal API's message types, as the engine loads them",
    flags: [],
    modules: ['@grpc/grpc-js', path.join(ROOT, 'dist/engine/proto')],
  },
  { process: SUPERVISOR, what: 'a bare Node process with the idle trim', flags: [], modules: [] },
];

/**
 * The child's script: load the modules, start the project's idle trim (checking every 200 ms),
 * say "trimmed" once its first trim is done, then wait to be read and stopped.
 */
function floorScript(modules: string[], trim: boolean): string {
  const loads = modules.map((m) => `require(${JSON.stringify(m)});`).join('');
  if (!trim) return `${loads}process.stdout.write('trimmed\\n');setInterval(() => undefined, 1000);`;
  const trimModule = JSON.stringify(path.join(ROOT, 'dist/memory-trim'));
  const quiet = '{ debug() {}, info() {}, warn() {}, error() {} }';
  return `${loads}const t = require(${trimModule}).startIdleTrim(${quiet}, { checkMs: 200 });
const look = setInterval(() => { if (t.trims > 0) { clearInterval(look); process.stdout.write('trimmed\\n'); } }, 100);
setInterval(() => undefined, 1000);`;
}

/** One floor process: started, read once trimmed, stopped. */
async function measureOnce(floor: Floor): Promise<Memory> {
  const trim = floor.process !== 'bare';
  const child = spawn(process.execPath, [...floor.flags, '-e', floorScript(floor.modules, trim)], {
    cwd: ROOT,
    env: { ...process.env, MALLOC_ARENA_MAX: '2' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the floor of ${floor.process} was not trimmed within 30 s`)), 30_000);
      child.stdout.on('data', (chunk: Buffer) => {
        if (chunk.toString().includes('trimmed')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`the floor of ${floor.process} exited with ${code}`));
      });
    });
    // A bare process is read after as long as the others take to load and trim.
    await delay(trim ? 200 : 1500);
    const memory = child.pid ? memoryOf(child.pid) : null;
    if (!memory) throw new Error(`the floor of ${floor.process} could not be read`);
    return memory;
  } finally {
    child.kill('SIGKILL');
  }
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function measure(floor: Floor): Promise<{ rssMb: number; pssMb: number }> {
  const runs: Memory[] = [];
  for (let i = 0; i < RUNS; i++) runs.push(await measureOnce(floor));
  return { rssMb: median(runs.map((m) => m.rssMb)), pssMb: median(runs.map((m) => m.pssMb)) };
}

const signed = (value: number): string => (Math.round(value) > 0 ? `+${value.toFixed(0)}` : Math.round(value).toFixed(0));
const mb = (value: number | undefined): string => (value === undefined || !Number.isFinite(value) ? '–' : value.toFixed(0));

async function atRest(): Promise<Map<string, Memory>> {
  let memory = new Map<string, Memory>();
  await withStack({ msPerPage: 0 }, async (stack) => {
    await delay(REST_MS);
    memory = memoryNow(stack);
  });
  return memory;
}

async function main(): Promise<void> {
  note(`process floors: each floor ${RUNS} times (median), then the stack at rest ${REST_MS / 1000} s after ready`);
  const measured = new Map<string, { what: string; rssMb: number; pssMb: number }>();
  for (const floor of FLOORS) measured.set(floor.process, { what: floor.what, ...(await measure(floor)) });
  const rest = await atRest();

  const rows: string[][] = [];
  const bare = measured.get('bare');
  rows.push(['a bare Node process', mb(bare?.rssMb), '–', '–', '–']);
  let floorSum = 0;
  let restSum = 0;
  for (const [name, memory] of rest) {
    // PostgreSQL is not Node (its own PSS is its floor), and no conversion process runs at rest.
    const floorRss = measured.get(name)?.rssMb ?? memory.rssMb;
    floorSum += floorRss;
    restSum += memory.rssMb;
    const target = TARGET_MB[name];
    rows.push([name, mb(floorRss), mb(memory.rssMb), signed(memory.rssMb - floorRss), target ? `≤ ${target}` : '–']);
  }
  rows.push(['all of the above', mb(floorSum), mb(restSum), signed(restSum - floorSum), '≤ 350']);
  printTable("Memory at rest against each process's floor (MiB, VmRSS)", ['process', 'floor', 'at rest', 'above its floor', 'target'], rows);
  note('\nWhat each floor loads:');
  for (const [name, floor] of measured) if (name !== 'bare') note(`  ${name}: ${floor.what}`);
}

main().catch((err: unknown) => {
  process.stderr.write(`process floors bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
