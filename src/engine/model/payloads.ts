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
