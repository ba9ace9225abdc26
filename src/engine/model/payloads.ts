import type { Payload } from '../proto';

/** Decodes a JSON (or null-encoded) payload, as search attributes and memos are written by the SDKs. */
export function payloadValue(payload: Payload | null | undefined): unknown {
  if (!payload) return null;
  const encoding = payload.metadata?.encoding ? Buffer.from(payload.metadata.encoding).toString('utf8') : '';
  if (encoding === 'binary/null') return null;
  if (!payload.data || !payload.data.length) return null;
  try {
    return JSON.parse(Buffer.from(payload.data).toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}
