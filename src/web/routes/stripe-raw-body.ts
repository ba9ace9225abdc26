import type { IncomingMessage } from 'node:http';

/** Stripe's events are well under this; anything larger is not from Stripe. */
export const MAX_STRIPE_BODY_BYTES = 512 * 1024;

/**
 * The body exactly as sent: Stripe's signature covers these bytes, so nothing may parse or
 * re-encode them first. A body over `limit` bytes is a 413.
 */
export async function readStripeBody(req: IncomingMessage, limit = MAX_STRIPE_BODY_BYTES): Promise<Buffer> {
  const tooLarge = Object.assign(new Error(`request body larger than ${limit} bytes`), { status: 413, expose: true });
  if (Number(req.headers['content-length'] ?? '0') > limit) throw tooLarge;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw tooLarge;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}
