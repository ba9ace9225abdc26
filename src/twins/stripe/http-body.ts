import type { IncomingMessage } from 'node:http';

/** Reads a request body up to `limit` bytes; null when it is larger. */
export async function readBody(req: IncomingMessage, limit: number): Promise<Buffer | null> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    req.resume();
    return null;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > limit) {
      req.resume();
      return null;
    }
    chunks.push(buf);
  }
  return Buffer.concat(chunks);
}
