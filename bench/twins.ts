/**
 * What one change costs the sandboxes' persistence, by how many objects they hold: the
 * append-only journal (`src/twins/journal.ts`, as both twins use it) side by side with the
 * whole-file rewrite it replaced, reproduced here as the baseline exactly as each twin did it
 * (Stripe twin: the whole state as JSON to a temporary file, fsync, rename, fsync of the folder;
 * carrier twin: the whole state as JSON to a temporary file and rename, no fsync).
 *
 * A change is one object changing (a payment intent's status, a fax's page count) and being
 * made durable before the next one, as a request does before its answer. The state is a mix of
 * objects shaped as the twins keep them: per payment a checkout session, its payment intent, its
 * charge and five events; per fax the carrier twin's fax record. Also printed: a compaction
 * as the size rule starts it (its time and bytes, the changes made meanwhile and the longest
 * any of them waited) and the start-up replay at each size, and the bytes per change with
 * compaction amortised in (a compaction writes the live state once per growth of the journal by
 * max(1 MiB, live state)).
 *
 * Run: node -r ./src/conversion/child/register-ts.js bench/twins.ts
 * Knobs: BENCH_SIZES (default 100,10000,100000), BENCH_CHANGES (journal changes per size,
 * default 1000), BENCH_BASELINE_SECONDS (time spent on whole-file rewrites per size, default 10),
 * BENCH_TWINS (default stripe,carrier).
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { CarrierStatus } from '../src/carrier/types';
import { silentLogger } from '../src/log';
import type { TwinFax } from '../src/twins/carrier/fax-store';
import { Journal } from '../src/twins/journal';
import type { PaymentIntentJson } from '../src/twins/stripe/model';
import { carrierEntries, stripeEntries } from './twin-objects';

const SIZES = (process.env.BENCH_SIZES ?? '100,10000,100000').split(',').map(Number);
const CHANGES = Number(process.env.BENCH_CHANGES ?? 1000);
const BASELINE_SECONDS = Number(process.env.BENCH_BASELINE_SECONDS ?? 10);
const TWINS = (process.env.BENCH_TWINS ?? 'stripe,carrier').split(',');
const MIN_COMPACT_BYTES = 1024 * 1024;

type Entries = Map<string, unknown>;

interface Twin {
  name: string;
  /** The state with `n` objects, as journal keys and values. */
  fill(n: number): Entries;
  /** Changes the object at `key` in place (the value in the map is the live object). */
  change(entries: Entries, key: string, i: number): void;
  /** The keys that change: intents, or faxes. */
  changing(entries: Entries): string[];
  /** The old way: the whole state written as its one file. */
  rewrite(entries: Entries, file: string): Promise<number>;
}

const stripe: Twin = {
  name: 'Stripe twin',
  fill: stripeEntries,
  changing: (entries) => [...entries.keys()].filter((k) => k.startsWith('intents/')),
  change(entries, key, i) {
    const pi = entries.get(key) as PaymentIntentJson;
    pi.status = i % 2 ? 'succeeded' : 'requires_capture';
    pi.amount_received = i % 2 ? pi.amount : 0;
  },
  async rewrite(entries, file) {
    const state: Record<string, unknown> = { version: 1, sessions: {}, intents: {}, charges: {}, refunds: {}, events: {}, deliveries: {}, idempotency: {} };
    for (const [key, value] of entries) {
      const slash = key.indexOf('/');
      if (slash < 0) state[key] = value;
      else (state[key.slice(0, slash)] as Record<string, unknown>)[key.slice(slash + 1)] = value;
    }
    const text = JSON.stringify(state);
    const tmp = `${file}.${process.pid}.tmp`;
    const handle = await fs.open(tmp, 'w', 0o600);
    try {
      await handle.writeFile(text);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(tmp, file);
    const dir = await fs.open(path.dirname(file), 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
    return Buffer.byteLength(text);
  },
};

const STATUSES: CarrierStatus[] = ['queued', 'media.processed', 'originated', 'sending', 'delivered'];

const carrier: Twin = {
  name: 'carrier twin',
  fill: carrierEntries,
  changing: (entries) => [...entries.keys()],
  change(entries, key, i) {
    const f = entries.get(key) as TwinFax;
    f.status = STATUSES[i % STATUSES.length];
    f.updated_at = new Date().toISOString();
  },
  async rewrite(entries, file) {
    const text = JSON.stringify({ version: 1, faxes: [...entries.values()] });
    const tmp = `${file}.${process.pid}.tmp`;
    await fs.writeFile(tmp, text);
    await fs.rename(tmp, file);
    return Buffer.byteLength(text);
  },
};

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

interface Figures {
  changes: number;
  meanMs: number;
  p50Ms: number;
  p99Ms: number;
  bytesPerChange: number;
}

function figures(times: number[], bytes: number): Figures {
  const sorted = [...times].sort((a, b) => a - b);
  return {
    changes: times.length,
    meanMs: times.reduce((a, b) => a + b, 0) / times.length,
    p50Ms: quantile(sorted, 0.5),
    p99Ms: quantile(sorted, 0.99),
    bytesPerChange: bytes / times.length,
  };
}

async function journalRun(twin: Twin, n: number, dir: string) {
  const entries = twin.fill(n);
  const file = path.join(dir, 'twin.journal');
  const { journal } = await Journal.open({ file, log: silentLogger, entries: () => entries });
  for (const [key, value] of entries) journal.put(key, value);
  await journal.flush();
  const keys = twin.changing(entries);
  const written = journal.stats().bytesWritten;
  const times: number[] = [];
  for (let i = 0; i < CHANGES; i++) {
    const key = keys[(i * 7919) % keys.length];
    const started = performance.now();
    twin.change(entries, key, i);
    journal.put(key, entries.get(key));
    await journal.flush();
    times.push(performance.now() - started);
  }
  const perChange = figures(times, journal.stats().bytesWritten - written);
  await journal.close();
  const replayStarted = performance.now();
  // Reopened with a size rule that any superseded record trips, so the next change starts a compaction.
  const reopened = await Journal.open({ file, log: silentLogger, entries: () => entries, minCompactBytes: 0, compactRatio: 1 });
  const replayMs = performance.now() - replayStarted;
  if (reopened.entries.size !== entries.size) throw new Error(`replay found ${reopened.entries.size} objects, not ${entries.size}`);
  const compaction = await backgroundCompaction(twin, entries, keys, reopened.journal);
  await reopened.journal.close();
  // Between two compactions the journal grows by max(1 MiB, live state) of changes.
  const recordBytes = perChange.bytesPerChange;
  const changesPerCompaction = Math.max(MIN_COMPACT_BYTES, compaction.bytes) / recordBytes;
  return { perChange, compaction, replayMs, amortisedBytes: recordBytes + compaction.bytes / changesPerCompaction };
}

/**
 * Changes one after the other until the compaction the first of them started is in place:
 * how long that took, and the longest any change waited meanwhile (the snapshot is encoded
 * while the first waits; the rest go on during the write).
 */
async function backgroundCompaction(twin: Twin, entries: Entries, keys: string[], journal: Journal) {
  const started = performance.now();
  let longestMs = 0;
  let changes = 0;
  while (journal.stats().compactions === 0) {
    const key = keys[(changes * 7919) % keys.length];
    const t = performance.now();
    twin.change(entries, key, changes);
    journal.put(key, entries.get(key));
    await journal.flush();
    longestMs = Math.max(longestMs, performance.now() - t);
    changes += 1;
  }
  return { ms: performance.now() - started, longestMs, changes, bytes: journal.stats().bytes };
}

async function baselineRun(twin: Twin, n: number, dir: string): Promise<Figures> {
  const entries = twin.fill(n);
  const keys = twin.changing(entries);
  const file = path.join(dir, 'twin.json');
  await twin.rewrite(entries, file);
  const times: number[] = [];
  let bytes = 0;
  const until = performance.now() + BASELINE_SECONDS * 1000;
  for (let i = 0; i < CHANGES && (times.length < 3 || performance.now() < until); i++) {
    const key = keys[(i * 7919) % keys.length];
    const started = performance.now();
    twin.change(entries, key, i);
    bytes += await twin.rewrite(entries, file);
    times.push(performance.now() - started);
  }
  return figures(times, bytes);
}

const fmtMs = (ms: number): string => (ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms.toFixed(2));
const fmtBytes = (b: number): string => (b >= 1024 * 1024 ? `${(b / 1024 / 1024).toFixed(1)} MiB` : b >= 1024 ? `${(b / 1024).toFixed(1)} KiB` : `${b.toFixed(0)} B`);

async function main(): Promise<void> {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'durafax-bench-twins-'));
  const onSignal = (): void => {
    void fs.rm(root, { recursive: true, force: true }).finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  try {
    console.log(`twin persistence per change; ${CHANGES} journal changes per size; load average ${os.loadavg()[0].toFixed(1)} on ${os.cpus().length} cores`);
    console.log('| twin | objects | way | changes | ms per change (mean / p50 / p99) | bytes written per change | a compaction (in the background) | start-up replay |');
    console.log('|---|---:|---|---:|---|---:|---|---:|');
    for (const twin of [stripe, carrier].filter((t) => TWINS.includes(t.name.split(' ')[0].toLowerCase()))) {
      for (const n of SIZES) {
        const dir = await fs.mkdtemp(path.join(root, 'run-'));
        const j = await journalRun(twin, n, dir);
        const b = await baselineRun(twin, n, dir);
        await fs.rm(dir, { recursive: true, force: true });
        const { perChange: p } = j;
        const c = j.compaction;
        console.log(
          `| ${twin.name} | ${n.toLocaleString('en')} | journal | ${p.changes} | ${fmtMs(p.meanMs)} / ${fmtMs(p.p50Ms)} / ${fmtMs(p.p99Ms)} | ${fmtBytes(p.bytesPerChange)} (${fmtBytes(j.amortisedBytes)} with compaction) | ${fmtMs(c.ms)} ms, ${fmtBytes(c.bytes)}; ${c.changes} changes meanwhile, the longest ${fmtMs(c.longestMs)} ms | ${fmtMs(j.replayMs)} ms |`,
        );
        console.log(
          `| ${twin.name} | ${n.toLocaleString('en')} | whole file (before) | ${b.changes} | ${fmtMs(b.meanMs)} / ${fmtMs(b.p50Ms)} / ${fmtMs(b.p99Ms)} | ${fmtBytes(b.bytesPerChange)} | — | — |`,
        );
      }
    }
  } finally {
    await fs.rm(root, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
