import type { Payload } from '../proto';

/** Decodes a JSON (or null-encoded) payload, as search attributes and memos are written by the SDKs. */
export function payloadValue(p: Payload | null | undefined): unknown {
  if (!p) return null;
  const enc = p.metadata?.encoding ? Buffer.from(p.metadata.encoding).toString('utf8') : '';
  if (enc === 'binary/null') return null;
  if (!p.data || !p.data.length) return null;
  try {
    return JSON.parse(Buffer.from(p.data).toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

/** Upsert semantics of search attributes and memo: a null or empty-list value removes the key. */
export function mergeFields(target: Record<string, Payload>, upserted: Record<string, Payload> | null | undefined): void {
  for (const [k, v] of Object.entries(upserted ?? {})) {
    const value = payloadValue(v);
    if (value === null || (Array.isArray(value) && value.length === 0)) delete target[k];
    else target[k] = v;
  }
}
