import { createHash } from 'node:crypto';
import type Koa from 'koa';
import { createSession, expireSession, getSession } from './checkout';
import { TWIN_API_VERSION, type RequestRef, type TwinContext } from './context';
import { authenticationFailed, idempotencyInUse, idempotencyMismatch, injected, invalidParam, noSuchResource, TwinApiError, unrecognizedUrl, type InjectedFault } from './errors';
import { expand } from './expand';
import { FormError, Params, parseForm } from './form';
import { BodyTooLargeError, readRawBody } from '../../web/raw-body';
import { cancel, capture, getIntent } from './intents';
import { listPage } from './lists';
import { createRefund, getRefund, listRefunds } from './refunds';
import { newId } from './store';

/** A failure a test asks the twin to answer with, for matching requests, `times` times. */
export interface FaultRule extends InjectedFault {
  method?: string;
  path: string | RegExp;
  times: number;
}

type Handler = (ctx: TwinContext, p: Params, ids: string[], req: RequestRef) => unknown;

interface Route {
  method: 'GET' | 'POST';
  pattern: RegExp;
  handler: Handler;
}

const ID = '([A-Za-z0-9_]+)';
const route = (method: Route['method'], path: string, handler: Handler): Route => ({
  method,
  pattern: new RegExp(`^${path.replace(/:id/g, ID)}$`),
  handler,
});
const expansions = (p: Params): string[] => p.stringArray('expand');

const ROUTES: Route[] = [
  route('POST', '/v1/checkout/sessions', (ctx, p) => expand(ctx, createSession(ctx, p), expansions(p))),
  route('GET', '/v1/checkout/sessions/:id', (ctx, p, [id]) => {
    p.only('expand');
    return expand(ctx, getSession(ctx, id).json, expansions(p));
  }),
  route('POST', '/v1/checkout/sessions/:id/expire', (ctx, p, [id], req) => {
    p.only('expand');
    return expand(ctx, expireSession(ctx, id, req), expansions(p));
  }),
  route('GET', '/v1/payment_intents', (ctx, p) => {
    p.only('limit', 'starting_after');
    return listPage([...ctx.state.intents.values()], p, '/v1/payment_intents');
  }),
  route('GET', '/v1/payment_intents/:id', (ctx, p, [id]) => {
    p.only('expand', 'client_secret');
    return expand(ctx, getIntent(ctx, id), expansions(p));
  }),
  route('POST', '/v1/payment_intents/:id/capture', (ctx, p, [id], req) => {
    p.only('expand', 'amount_to_capture', 'metadata');
    return expand(ctx, capture(ctx, id, p.integer('amount_to_capture'), req), expansions(p));
  }),
  route('POST', '/v1/payment_intents/:id/cancel', (ctx, p, [id], req) => {
    p.only('expand', 'cancellation_reason');
    return expand(ctx, cancel(ctx, id, p.string('cancellation_reason'), req), expansions(p));
  }),
  route('POST', '/v1/refunds', (ctx, p, _ids, req) => expand(ctx, createRefund(ctx, p, req), expansions(p))),
  route('GET', '/v1/refunds', (ctx, p) => {
    const page = listRefunds(ctx, p);
    return { ...page, data: page.data.map((r) => expand(ctx, r, expansions(p))) };
  }),
  route('GET', '/v1/charges/:id', (ctx, p, [id]) => {
    p.only('expand');
    const charge = ctx.state.charges.get(id);
    if (!charge) throw noSuchResource('charge', id, 'id');
    return expand(ctx, charge, expansions(p));
  }),
  route('GET', '/v1/events', (ctx, p) => {
    p.only('limit', 'starting_after', 'type');
    const type = p.string('type');
    return listPage(
      [...ctx.state.events.values()].filter((e) => !type || e.type === type),
      p,
      '/v1/events',
    );
  }),
  route('GET', '/v1/events/:id', (ctx, p, [id]) => {
    p.only();
    const event = ctx.state.events.get(id);
    if (!event) throw noSuchResource('event', id, 'id');
    return event;
  }),
  route('GET', '/v1/refunds/:id', (ctx, p, [id]) => {
    p.only('expand');
    return expand(ctx, getRefund(ctx, id), expansions(p));
  }),
];

const MAX_BODY = 256 * 1024;

function authenticate(koa: Koa.Context, apiKey: string | undefined): void {
  const header = koa.get('Authorization');
  const m = /^Bearer\s+(\S+)$/i.exec(header);
  if (!m) {
    throw authenticationFailed(
      "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY').",
    );
  }
  const key = m[1];
  const ok = apiKey ? key === apiKey : /^(sk|rk)_test_[A-Za-z0-9_]+$/.test(key);
  if (!ok) throw authenticationFailed(`Invalid API Key provided: ${key.slice(0, 8)}${'*'.repeat(Math.max(0, key.length - 12))}${key.slice(-4)}`);
}

/** Stripe compares the parameters of a retried request with the first one's. */
function digest(method: string, params: Params): string {
  return createHash('sha256')
    .update(`${method}\n${JSON.stringify(params.raw)}`)
    .digest('hex');
}

function send(koa: Koa.Context, status: number, body: unknown, headers: Record<string, string> = {}): void {
  koa.status = status;
  koa.type = 'application/json';
  for (const [k, v] of Object.entries(headers)) koa.set(k, v);
  koa.body = JSON.stringify(body, null, 2);
}

/** A saved response body as the first request got it (journals of earlier versions hold the object). */
function firstAnswer(saved: unknown): unknown {
  return typeof saved === 'string' ? JSON.parse(saved) : saved;
}

/**
 * Stripe's REST API for the endpoints Durafax uses: authentication, form-encoded
 * parameters, idempotency keys (replay with `Idempotent-Replayed: true`, conflict on
 * different parameters), error bodies and status codes as Stripe sends them.
 */
export function apiMiddleware(ctx: TwinContext, opts: { apiKey?: string; faults: FaultRule[] }): Koa.Middleware {
  const inFlight = new Set<string>();
  return async (koa, next) => {
    if (!koa.path.startsWith('/v1/')) {
      await next();
      return;
    }
    const requestId = newId('req', 14);
    const idemKey = koa.get('Idempotency-Key') || null;
    koa.set('Request-Id', requestId);
    koa.set('Stripe-Version', koa.get('Stripe-Version') || TWIN_API_VERSION);
    if (idemKey) koa.set('Idempotency-Key', idemKey);
    let claimed: string | null = null;
    try {
      authenticate(koa, opts.apiKey);
      const method = koa.method.toUpperCase();
      const found = ROUTES.map((r) => ({ r, m: r.method === method ? r.pattern.exec(koa.path) : null })).find((x) => x.m);
      if (!found?.m) throw unrecognizedUrl(method, koa.path);
      let params: Params;
      try {
        const body = method === 'POST' ? await readRawBody(koa.req, MAX_BODY) : Buffer.from(koa.querystring);
        params = new Params(parseForm(body.toString('utf8')));
      } catch (err) {
        if (err instanceof FormError) throw invalidParam(err.param, err.message, err.code);
        if (err instanceof BodyTooLargeError) throw invalidParam('body', 'The request body is too large.');
        throw err;
      }
      const fault = opts.faults.find((f) => f.times > 0 && (!f.method || f.method === method) && (typeof f.path === 'string' ? f.path === koa.path : f.path.test(koa.path)));
      if (fault) {
        fault.times -= 1;
        throw injected(fault);
      }
      const useKey = method === 'POST' && idemKey !== null;
      const requestDigest = useKey ? digest(method, params) : '';
      if (useKey) {
        if (idemKey.length > 255) throw invalidParam('Idempotency-Key', 'Idempotency keys can be at most 255 characters long.');
        const saved = ctx.state.idempotency.get(idemKey);
        if (saved && !ctx.store.expired(saved)) {
          if (saved.path !== koa.path || saved.method !== method) throw idempotencyMismatch(idemKey, false);
          if (saved.digest !== requestDigest) throw idempotencyMismatch(idemKey, true);
          send(koa, saved.status, firstAnswer(saved.body), { ...saved.headers, 'Idempotent-Replayed': 'true' });
          return;
        }
        if (inFlight.has(idemKey)) throw idempotencyInUse(idemKey);
        inFlight.add(idemKey);
        claimed = idemKey;
      }
      const req: RequestRef = { id: requestId, idempotencyKey: idemKey };
      let status = 200;
      let body: unknown;
      let headers: Record<string, string> = {};
      let storable = true;
      try {
        body = found.r.handler(ctx, params, found.m.slice(1), req);
      } catch (thrown) {
        const err = thrown instanceof FormError ? invalidParam(thrown.param, thrown.message, thrown.code) : thrown;
        if (!(err instanceof TwinApiError)) throw err;
        status = err.status;
        body = { error: err.body };
        headers = err.headers;
        storable = err.storable;
      }
      if (useKey && storable) {
        // Kept as text: the handler answers with the live object, which goes on changing, and a
        // replay must answer what the first request got, as Stripe's does.
        ctx.state.idempotency.set(idemKey, { key: idemKey, method, path: koa.path, digest: requestDigest, status, body: JSON.stringify(body), headers, created: ctx.store.now() });
        ctx.store.changed('idempotency', idemKey);
      }
      await ctx.commit();
      send(koa, status, body, headers);
    } catch (err) {
      if (err instanceof TwinApiError) {
        send(koa, err.status, { error: err.body }, err.headers);
        return;
      }
      ctx.log.error('stripe twin request failed', { err, method: koa.method, path: koa.path });
      send(koa, 500, { error: { type: 'api_error', message: 'An unknown error occurred in the Stripe sandbox.' } });
    } finally {
      if (claimed) inFlight.delete(claimed);
    }
  };
}
