import type { Payload } from '../proto';

/** A search-attribute value as the SDK's payload converter reads it (json/plain). */
export function searchAttributePayload(value: unknown): Payload {
  return {
    metadata: { encoding: Buffer.from('json/plain') },
    data: Buffer.from(JSON.stringify(value)),
  };
}
