import { invalidArgument } from './grpc/errors';

/**
 * Task tokens are opaque to workers; ours name the run and the task so they survive restarts.
 * The keys are short because every task carries one, and workers hold tokens across an engine
 * restart, so they stay: `k` is the kind (`w` workflow task, `a` activity, `q` query), `r` the
 * run id, `s` the workflow task's seq, `e` the activity's scheduled event id, `a` its attempt,
 * `q` the query id; `n` a Nexus task of the operation scheduled at `e` of run `r` (attempt `a`,
 * `c` 1 for its cancel request).
 */
export type Token = { k: 'w'; r: string; s: number } | { k: 'a'; r: string; e: number; a: number } | { k: 'q'; q: string } | { k: 'n'; r: string; e: number; a: number; c: number };

export function encodeToken(t: Token): Buffer {
  return Buffer.from(JSON.stringify(t), 'utf8');
}

export function decodeToken(bytes: Uint8Array | null | undefined): Token {
  if (!bytes || !bytes.length) throw invalidArgument('Task token not set on request.');
  let t: unknown;
  try {
    t = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    throw invalidArgument('Error deserializing task token.');
  }
  const o = t as Record<string, unknown>;
  if (o && o.k === 'w' && typeof o.r === 'string' && typeof o.s === 'number') return o as Token;
  if (o && o.k === 'a' && typeof o.r === 'string' && typeof o.e === 'number' && typeof o.a === 'number') return o as Token;
  if (o && o.k === 'q' && typeof o.q === 'string') return o as Token;
  if (o && o.k === 'n' && typeof o.r === 'string' && typeof o.e === 'number' && typeof o.a === 'number' && typeof o.c === 'number') return o as Token;
  throw invalidArgument('Error deserializing task token.');
}
