/**
 * Many API clients at once for a while: each loops over a mix of creating a fax, reading one
 * of its faxes, cancelling one, and the health endpoints, and every answer's status and time
 * is kept. Used by bench/load.ts (100 clients, 60 s) and its short version in the tests.
 */
import { performance } from 'node:perf_hooks';

export type LoadKind = 'create' | 'read' | 'cancel' | 'healthz' | 'readyz';

/** Shares of each kind in the mix, out of the sum. */
export const LOAD_MIX: Record<LoadKind, number> = { create: 10, read: 55, cancel: 10, healthz: 15, readyz: 10 };

export interface LoadOptions {
  baseUrl: string;
  clients: number;
  durationMs: number;
  /** The document each create uploads. */
  document: Buffer;
  to: string;
  /**
   * Past `durationMs`, go on until every kind was answered at least once, asking for the kinds
   * still missing, for at most this long in all (a short run on a busy machine may otherwise
   * never draw a cancel).
   */
  everyKindWithinMs?: number;
}

export interface KindStats {
  count: number;
  /** Answers by status code; 0 for a request that got no answer. */
  statuses: Record<number, number>;
  p50Ms: number;
  p99Ms: number;
}

export interface LoadResult {
  requests: number;
  /** Answers with a 5xx status, and requests with no answer at all. */
  serverErrors: number;
  noAnswer: number;
  byKind: Record<LoadKind, KindStats>;
  all: { p50Ms: number; p99Ms: number };
  perSecond: number;
  /** The workflow's decisions in the cancels answered 202: accepted, refused, or pending (not taken within the web's wait). */
  cancelDecisions: Record<string, number>;
}

interface Fax {
  id: string;
  token: string;
}

function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function count(tally: Record<string, number>, key: string): void {
  tally[key] = (tally[key] ?? 0) + 1;
}

/** The `cancel` field of a cancel's answer, or what was wrong with the answer. */
function decisionOf(body: ArrayBuffer): string {
  try {
    return String((JSON.parse(Buffer.from(body).toString('utf8')) as { cancel?: unknown }).cancel);
  } catch {
    return 'unreadable';
  }
}

function pick(): LoadKind {
  const kinds = Object.keys(LOAD_MIX) as LoadKind[];
  let roll = Math.random() * kinds.reduce((n, k) => n + LOAD_MIX[k], 0);
  for (const kind of kinds) {
    roll -= LOAD_MIX[kind];
    if (roll < 0) return kind;
  }
  return 'read';
}

export async function runLoad(opts: LoadOptions): Promise<LoadResult> {
  const samples: Record<LoadKind, Array<{ ms: number; status: number }>> = { create: [], read: [], cancel: [], healthz: [], readyz: [] };
  const cancelDecisions: Record<string, number> = {};
  const deadline = performance.now() + opts.durationMs;
  const started = performance.now();

  const request = async (kind: LoadKind, url: string, init: RequestInit): Promise<Response | null> => {
    const t = performance.now();
    try {
      const res = await fetch(url, init);
      const body = kind === 'create' ? null : await res.arrayBuffer();
      samples[kind].push({ ms: performance.now() - t, status: res.status });
      if (kind === 'cancel' && res.status === 202 && body) count(cancelDecisions, decisionOf(body));
      return body === null ? res : null;
    } catch {
      samples[kind].push({ ms: performance.now() - t, status: 0 });
      return null;
    }
  };

  const kinds = Object.keys(samples) as LoadKind[];
  const missing = (): LoadKind[] => kinds.filter((kind) => !samples[kind].some((s) => s.status !== 0));
  const lastCall = started + Math.max(opts.durationMs, opts.everyKindWithinMs ?? 0);
  const goOn = (): boolean => {
    const now = performance.now();
    return now < deadline || (opts.everyKindWithinMs !== undefined && now < lastCall && missing().length > 0);
  };

  const client = async (): Promise<void> => {
    const mine: Fax[] = [];
    while (goOn()) {
      const wanted = performance.now() < deadline ? [] : missing();
      let kind = wanted.length ? wanted[Math.floor(Math.random() * wanted.length)] : pick();
      // A client reads and cancels its own faxes: it makes one first.
      if ((kind === 'read' || kind === 'cancel') && !mine.length) kind = 'create';
      const fax = mine[Math.floor(Math.random() * mine.length)];
      if (kind === 'create') {
        const form = new FormData();
        form.set('to', opts.to);
        form.set('document', new Blob([opts.document], { type: 'text/plain' }), 'letter.txt');
        const res = await request('create', `${opts.baseUrl}/api/faxes`, { method: 'POST', body: form });
        if (res) {
          const created = (await res.json().catch(() => null)) as Fax | null;
          if (res.status === 201 && created) mine.push(created);
        }
      } else if (kind === 'read') {
        await request('read', `${opts.baseUrl}/api/faxes/${fax.id}`, { headers: { Authorization: `Bearer ${fax.token}` } });
      } else if (kind === 'cancel') {
        await request('cancel', `${opts.baseUrl}/api/faxes/${fax.id}/cancel`, { method: 'POST', headers: { Authorization: `Bearer ${fax.token}` } });
      } else {
        await request(kind, `${opts.baseUrl}/${kind}`, {});
      }
    }
  };
  await Promise.all(Array.from({ length: opts.clients }, client));

  const elapsedS = (performance.now() - started) / 1000;
  const byKind = {} as Record<LoadKind, KindStats>;
  const everything: number[] = [];
  let serverErrors = 0;
  let noAnswer = 0;
  for (const kind of kinds) {
    const list = samples[kind];
    const times = list.map((s) => s.ms).sort((a, b) => a - b);
    everything.push(...times);
    const statuses: Record<number, number> = {};
    for (const s of list) {
      statuses[s.status] = (statuses[s.status] ?? 0) + 1;
      if (s.status >= 500) serverErrors++;
      if (s.status === 0) noAnswer++;
    }
    byKind[kind] = { count: list.length, statuses, p50Ms: percentile(times, 50), p99Ms: percentile(times, 99) };
  }
  everything.sort((a, b) => a - b);
  return {
    requests: everything.length,
    serverErrors,
    noAnswer,
    byKind,
    all: { p50Ms: percentile(everything, 50), p99Ms: percentile(everything, 99) },
    perSecond: everything.length / elapsedS,
    cancelDecisions,
  };
}
