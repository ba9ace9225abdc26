import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { emptyState, type TwinState } from './model';

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** A Stripe-looking id: `cs_test_a1B2…`, `pi_3Q…`, `evt_1…`. */
export function newId(prefix: string, length = 24): string {
  const bytes = randomBytes(length);
  let out = '';
  for (const b of bytes) out += ALPHABET[b % ALPHABET.length];
  return `${prefix}_${out}`;
}

const FILE = 'stripe-twin.json';
/** Stripe keeps idempotency results for 24 hours. */
const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;

/**
 * The twin's state: in memory, and when a data folder is given, also in one JSON file that
 * is replaced atomically (write, fsync, rename) after every change, so a restart or a crash
 * loses nothing that was acknowledged.
 */
export class TwinStore {
  private writing: Promise<void> = Promise.resolve();
  private queued: Promise<void> | null = null;

  private constructor(
    readonly state: TwinState,
    private readonly file: string | null,
  ) {}

  static async open(dataDir?: string): Promise<TwinStore> {
    if (!dataDir) return new TwinStore(emptyState(randomBytes(32).toString('hex')), null);
    await fs.mkdir(dataDir, { recursive: true });
    const file = path.join(dataDir, FILE);
    let state: TwinState;
    try {
      state = JSON.parse(await fs.readFile(file, 'utf8')) as TwinState;
      if (state.version !== 1) throw new Error(`${file}: unknown state version ${String(state.version)}`);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      state = emptyState(randomBytes(32).toString('hex'));
    }
    const store = new TwinStore(state, file);
    await store.save();
    return store;
  }

  /** Milliseconds on the twin's clock: wall time plus the test-clock offset. */
  now(): number {
    return Date.now() + this.state.clockOffsetMs;
  }

  /** Seconds on the twin's clock, as Stripe's timestamps are. */
  seconds(): number {
    return Math.floor(this.now() / 1000);
  }

  /**
   * Persists the current state. Calls made while a write is running share the next write,
   * so a burst of changes costs at most two writes.
   */
  save(): Promise<void> {
    if (!this.file) return Promise.resolve();
    if (this.queued) return this.queued;
    const next = this.writing.then(() => {
      this.queued = null;
      return this.writeNow();
    });
    this.queued = next;
    this.writing = next.catch(() => undefined);
    return next;
  }

  private async writeNow(): Promise<void> {
    if (!this.file) return;
    const cutoff = this.now() - IDEMPOTENCY_TTL_MS;
    for (const [key, rec] of Object.entries(this.state.idempotency)) if (rec.created < cutoff) delete this.state.idempotency[key];
    const tmp = `${this.file}.${process.pid}.tmp`;
    const handle = await fs.open(tmp, 'w', 0o600);
    try {
      await handle.writeFile(JSON.stringify(this.state));
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(tmp, this.file);
    const dir = await fs.open(path.dirname(this.file), 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  }
}
