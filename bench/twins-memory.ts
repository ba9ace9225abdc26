/**
 * What the sandboxes keep in memory for each object they hold once it is settled and paged out
 * (a paid fax leaves 17 Stripe objects — its session, intent, charge, six events, six webhook
 * deliveries and two idempotency answers — and one carrier fax). Each twin's store is opened
 * from a journal of `n` objects shaped as the twin keeps them (`twin-objects.ts`), through its
 * real start-up (replay, then everything settled paged out), and the heap it holds after a full
 * collection is divided by the objects. The ids themselves are part of it, as they are in the
 * twin. A baseline is another build's sources: run this file from that checkout.
 *
 * Run: node -r ./src/conversion/child/register-ts.js bench/twins-memory.ts
 * Knobs: BENCH_SIZES (objects, default 10000,100000).
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import { silentLogger } from '../src/log';
import { FaxStore } from '../src/twins/carrier/fax-store';
import { Journal } from '../src/twins/journal';
import { TwinStore } from '../src/twins/stripe/store';
import { carrierEntries, stripeEntries } from './twin-objects';

const SIZES = (process.env.BENCH_SIZES ?? '10000,100000').split(',').map(Number);

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

function heapUsed(): number {
  for (let i = 0; i < 3; i++) gc();
  return process.memoryUsage().heapUsed;
}

async function writeJournal(file: string, entries: Map<string, unknown>): Promise<void> {
  const { journal } = await Journal.open({ file, log: silentLogger, entries: () => [] });
  for (const [key, value] of entries) journal.put(key, value);
  await journal.close();
}

interface Row {
  twin: string;
  objects: number;
  resident: number;
  bytesPerObject: number;
}

async function measure(twin: 'stripe' | 'carrier', n: number): Promise<Row> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'durafax-twins-memory-'));
  try {
    const journalFile = path.join(dir, twin === 'stripe' ? 'stripe-twin.journal' : 'carrier-twin.journal');
    await writeJournal(journalFile, twin === 'stripe' ? stripeEntries(n) : carrierEntries(n));
    const before = heapUsed();
    if (twin === 'stripe') {
      const store = await TwinStore.open(dir, { log: silentLogger });
      const after = heapUsed();
      const { resident, total } = store.residency();
      await store.close();
      return { twin: 'Stripe sandbox', objects: total, resident, bytesPerObject: (after - before) / total };
    }
    const store = await FaxStore.open(dir, silentLogger);
    const after = heapUsed();
    const { resident, total } = store.residency();
    await store.close();
    return { twin: 'carrier sandbox', objects: total, resident, bytesPerObject: (after - before) / total };
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  console.log('Heap held per object once settled objects are paged out (after a full collection)');
  console.log(`${'twin'.padEnd(18)}${'objects'.padStart(10)}${'in memory'.padStart(12)}${'bytes each'.padStart(12)}`);
  for (const n of SIZES) {
    for (const twin of ['stripe', 'carrier'] as const) {
      const row = await measure(twin, n);
      console.log(`${row.twin.padEnd(18)}${String(row.objects).padStart(10)}${String(row.resident).padStart(12)}${row.bytesPerObject.toFixed(0).padStart(12)}`);
    }
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
