import type { IncomingMessage } from 'node:http';

export class BodyTooLargeError extends Error {
  readonly status = 413;
  readonly expose = true;
  constructor(limit: number) {
    super(`request body larger than ${limit} bytes`);
    this.name = 'BodyTooLargeError';
  }
}

/**
 * The request body exactly as sent: signatures cover these bytes, so it is read before (and
 * instead of) any parsing. Stops reading past `limit` bytes.
 */
export async function readRawBody(req: IncomingMessage, limit: number): Promise<string> {
  const declared = Number(req.headers['content-length'] ?? '0');
  if (declared > limit) throw new BodyTooLargeError(limit);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new BodyTooLargeError(limit);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}
