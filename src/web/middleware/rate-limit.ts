import type Koa from 'koa';
import { RateLimiterPostgres, RateLimiterRes } from 'rate-limiter-flexible';
import type { DataSource } from 'typeorm';
import type { RateKind, RateRule } from '../../config/rate-limits';
import { HttpProblem } from '../errors';
import { currentFax } from './require-fax';

/**
 * Fixed-window counters kept in PostgreSQL's `rate_limit` table, so every web process
 * counts against the same numbers. One limiter per kind of action.
 */
export class RateLimits {
  private readonly limiters = new Map<RateKind, RateLimiterPostgres>();

  constructor(
    private readonly db: DataSource,
    private readonly rules: Record<RateKind, RateRule>,
  ) {}

  private limiter(kind: RateKind): RateLimiterPostgres {
    let limiter = this.limiters.get(kind);
    if (!limiter) {
      const rule = this.rules[kind];
      limiter = new RateLimiterPostgres({
        storeClient: this.db,
        storeType: 'typeorm',
        tableName: 'rate_limit',
        tableCreated: true,
        keyPrefix: kind,
        points: rule.points,
        duration: rule.durationSecs,
        // One process sweeps expired rows; any will do, more only repeat the same delete.
        clearExpiredByTimeout: true,
      });
      this.limiters.set(kind, limiter);
    }
    return limiter;
  }

  /**
   * Counts one action of `kind` for `key`; past the rule's limit, a 429 with Retry-After
   * (and the page or message that says so in the person's language).
   */
  async consume(kind: RateKind, key: string): Promise<void> {
    try {
      await this.limiter(kind).consume(key);
    } catch (err) {
      if (err instanceof RateLimiterRes) {
        const retryAfter = Math.max(1, Math.ceil(err.msBeforeNext / 1000));
        throw new HttpProblem(429, 'rate_limited', {}, { headers: { 'Retry-After': String(retryAfter) } });
      }
      throw err;
    }
  }
}

/** The key of the counters shared by every client. */
const EVERYONE = 'all';

/** Policy in front of a handler: one action of `kind` per request, counted for all clients together. */
export function limitGlobally(limits: RateLimits, kind: RateKind): Koa.Middleware {
  return async (_ctx, next) => {
    await limits.consume(kind, EVERYONE);
    await next();
  };
}

/** Policy in front of a handler: one action of `kind` per request, counted per client IP. */
export function limitPerIp(limits: RateLimits, kind: RateKind): Koa.Middleware {
  return async (ctx, next) => {
    await limits.consume(kind, ctx.ip);
    await next();
  };
}

/** Policy behind `requireFax`: one action of `kind` per request, counted per destination number of the fax. */
export function limitPerFaxNumber(limits: RateLimits, kind: RateKind): Koa.Middleware {
  return async (ctx, next) => {
    const fax = currentFax(ctx);
    // A purged fax has no number left; its id stands in.
    await limits.consume(kind, fax.toNumber ?? fax.id);
    await next();
  };
}
