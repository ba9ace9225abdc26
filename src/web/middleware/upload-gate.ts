import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type Koa from 'koa';
import { HttpProblem, unavailable } from '../errors';

/** How long a refused upload's connection stays open, unread, after its answer went out. */
const LINGER_MS = 2_000;

/**
 * Closes the connection of an answer given while the client may still be sending its body,
 * in stages (RFC 9112, 9.6): Node sends the answer and closes the write side, as for any
 * `Connection: close`, but would then close the socket at once; the kernel answers the bytes
 * still arriving with a reset, which can erase the answer before the client has read it. Here
 * the socket stops reading instead (what the client sends waits in the kernel's buffers, not
 * in this process) and is closed `LINGER_MS` later, by when the client has read the answer.
 */
export function closeAfterAnswer(res: ServerResponse, socket: Socket): void {
  res.once('finish', () => {
    // Node's own close for `Connection: close` (socket.destroySoon: destroy once the write
    // side is flushed), registered just before this listener runs; replaced by the one below.
    // eslint-disable-next-line @typescript-eslint/unbound-method -- the listener Node added, found by identity, not called
    socket.removeListener('finish', socket.destroy);
    if (socket.destroyed) return;
    // Node also resumes the request to throw its body away, a tick later: reading it for the
    // whole wait would cost what the refusal saves.
    const stopReading = (): void => void socket.pause();
    stopReading();
    socket.on('resume', stopReading);
    const timer = setTimeout(() => socket.destroy(), LINGER_MS);
    timer.unref();
    socket.once('close', () => clearTimeout(timer));
  });
}

/**
 * How many uploads one web process reads at once. Each holds a connection, a temporary file
 * and, at its end, a database connection while the document is stored; past the limit the
 * answer is a 503 with Retry-After at once, before any of the body is read. Every answer that
 * closes an upload's connection closes it in stages (`closeAfterAnswer`).
 */
export class UploadGate {
  private open = 0;

  constructor(private readonly limit: number) {}

  /** Policy in front of an upload route. */
  admit(): Koa.Middleware {
    return async (ctx, next) => {
      if (this.open >= this.limit) {
        closeAfterAnswer(ctx.res, ctx.req.socket);
        throw unavailable('error.uploads_busy', { Connection: 'close' });
      }
      this.open++;
      try {
        await next();
        // A refusal rendered as the form again (413 on the sender's page) keeps its header.
        const connection: unknown = ctx.response.get('Connection');
        if (typeof connection === 'string' && connection.toLowerCase() === 'close') closeAfterAnswer(ctx.res, ctx.req.socket);
      } catch (err) {
        // An upload cut off while it arrives (413, 408) is answered while the client may still send.
        if (err instanceof HttpProblem && err.headers.Connection === 'close') closeAfterAnswer(ctx.res, ctx.req.socket);
        throw err;
      } finally {
        this.open--;
      }
    };
  }
}
