/**
 * JSON for journal records and snapshots. Payload bytes are the only binary data in engine
 * state; they are written as {"$b": base64} and read back as Buffers.
 */
/** JSON already encoded (a snapshot built from pieces): `encodeJson` writes it as it is. */
export class EncodedJson {
  constructor(readonly text: string) {}
}

export function encodeJson(value: unknown): string {
  if (value instanceof EncodedJson) return value.text;
  return JSON.stringify(value, function replacer(this: Record<string, unknown>, key: string, v: unknown) {
    const raw = this[key];
    if (raw instanceof Uint8Array) return { $b: Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('base64') };
    return v;
  });
}

export function decodeJson(text: string): unknown {
  return JSON.parse(text, (_key, v: unknown) => {
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      const b = (v as { $b?: unknown }).$b;
      if (typeof b === 'string' && Object.keys(v).length === 1) return Buffer.from(b, 'base64');
    }
    return v;
  });
}
