import type { Payload } from '../proto';

/**
 * A search-attribute value as the SDK's payload converter reads it (json/plain), with the
 * attribute's type in its metadata as the real server adds it (the SDK decodes a `Datetime`
 * value to a Date only when told).
 */
export function searchAttributePayload(value: unknown, typeName?: string): Payload {
  return {
    metadata: { encoding: Buffer.from('json/plain'), ...(typeName ? { type: Buffer.from(typeName) } : {}) },
    data: Buffer.from(JSON.stringify(value)),
  };
}
