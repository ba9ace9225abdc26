import type Koa from 'koa';
import { unavailable } from '../errors';

/**
 * How many uploads one web process reads at once. Each holds a connection, a temporary file
 * and, at its end, a database connection while the document is stored; past the limit the
 * answer is a 503 with Retry-After at once, before any of the body is read.
 */
export class UploadGate {
  private open = 0;

  constructor(private readonly limit: number) {}

  /** Policy in front of an upload route. */
  admit(): Koa.Middleware {
    return async (ctx, next) => {
      if (this.open >= this.limit) {
        // The body is thrown away as it comes, so the client can read the answer.
        ctx.req.resume();
        throw unavailable('error.uploads_busy', { Connection: 'close' });
      }
      this.open++;
      try {
        await next();
      } finally {
        this.open--;
      }
    };
  }
}
