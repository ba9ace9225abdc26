import type { IncomingMessage } from 'node:http';

/** A request body over its limit: Koa's error handling answers 413 with this message. */
export class BodyTooLargeError extends Error {
  readonly status = 413;
  readonly expose = true;
  constructor(readonly limit: number) {
    super(`request body larger than ${limit} bytes`);
    this.name = 'BodyTooLargeError';
  }
}

/**
 * The request body exactly as sent, up to `limit` bytes: webhook signatures cover these
 * bytes, so nothing may parse or re-encode them first. Past the limit the rest of the body
 * is drained (so the client can read the answer) and a BodyTooLargeError is thrown.
 */
export async function readRawBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    req.resume();
    throw new BodyTooLargeError(limit);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) {
      req.resume();
      throw new BodyTooLargeError(limit);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}
