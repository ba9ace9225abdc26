import type { Connection } from '@temporalio/client';
import Koa from 'koa';
import type { Logger } from '../log';
import { Access, type AccessMode } from './access';
import { API_PREFIX, buildRequest, buildRoutes, errorJson, matchRoute, responseJson, rpcName, type RouteMatch } from './gateway';
import type { Json } from './proto-json';
import { markdownFrames } from './render';
import { featuresOf, settingsJson, type FrontendFeatures } from './settings';
import { staticFiles } from './static';

/** What the UI server needs of a Temporal connection (the SDK's `Connection`). */
export type TemporalConnection = Pick<Connection, 'workflowService' | 'operatorService' | 'withAbortSignal'>;

export interface UiAppDeps {
  connection: TemporalConnection;
  defaultNamespace: string;
  /** The built UI (ui/build). */
  staticDir: string;
  /** The version of `@temporalio/ui` that was built (the UI reads it back from the settings). */
  uiVersion: string;
  access: AccessMode;
  /**
   * Behind a reverse proxy that ends TLS (production): trust its X-Forwarded-Proto, so the
   * session and CSRF cookies are Secure although the hop to this process is plain HTTP.
   */
  proxy?: boolean;
  log: Logger;
}

const BODY_LIMIT = 8 * 1024 * 1024;
/** Errors of this server itself, in the API's error shape: HTTP status → gRPC code. */
const GRPC_CODE_OF_HTTP: Record<number, number> = { 400: 3, 401: 16, 403: 7, 404: 5, 405: 12, 413: 8 };

async function readJson(ctx: Koa.Context): Promise<Json | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > BODY_LIMIT) ctx.throw(413, 'request body too large');
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (!text) return undefined;
  try {
    return JSON.parse(text) as Json;
  } catch {
    return ctx.throw(400, 'the request body is not JSON');
  }
}

type Rpc = (request: Record<string, unknown>) => Promise<unknown>;

/** The generated service method for a route (`workflowService.listWorkflowExecutions`). */
function rpcOf(connection: TemporalConnection, match: RouteMatch): Rpc {
  const service = match.route.service === 'workflow' ? connection.workflowService : connection.operatorService;
  // protobufjs services expose one method per RPC by name; the route table comes from the same protos.
  const fn = (service as unknown as Record<string, Rpc | undefined>)[rpcName(match.route.method)];
  if (typeof fn !== 'function') throw Object.assign(new Error(`${match.route.method.name} is not available in this client`), { code: 12 });
  return fn.bind(service);
}

/**
 * The outermost middleware: any error becomes an answer (the API's error shape under /api/v1,
 * plain text elsewhere) without leaking internals, and every request gets a log line.
 */
function errorsAndRequestLog(log: Logger): Koa.Middleware {
  return async (ctx, next) => {
    const started = process.hrtime.bigint();
    try {
      await next();
    } catch (err) {
      const e = err as { status?: number; expose?: boolean; message?: string };
      ctx.status = e.status && e.status >= 400 && e.status < 600 ? e.status : 500;
      const message = e.expose ? (e.message ?? '') : 'internal error';
      if (ctx.status >= 500 && !e.expose) log.error('ui request failed', { err });
      if (ctx.path.startsWith(`${API_PREFIX}/`)) ctx.body = { code: GRPC_CODE_OF_HTTP[ctx.status] ?? 13, message, details: [] };
      else {
        ctx.type = 'text';
        ctx.body = message;
      }
    } finally {
      const route = (ctx.state as { route?: string }).route ?? (ctx.path.startsWith('/api/') ? 'api' : 'page');
      // The UI polls (counts every few seconds, history long polls): requests are debug lines.
      log.debug('request', { method: ctx.method, route, status: ctx.status, ms: Math.round(Number(process.hrtime.bigint() - started) / 1e5) / 10 });
    }
  };
}

/**
 * The Temporal UI server: the built UI (an SPA: unknown paths render the app) and its HTTP API
 * under /api/v1, behind the access rules of access.ts. Built without listening.
 */
export function createUiApp(deps: UiAppDeps): Koa {
  const { connection, log } = deps;
  const routes = buildRoutes();
  const access = new Access(deps.access);
  let features: FrontendFeatures | undefined;
  const frontendFeatures = async (): Promise<FrontendFeatures> => {
    if (!features) {
      const info = await connection.workflowService.getClusterInfo({});
      features = featuresOf(info.clusterId);
    }
    return features;
  };

  const app = new Koa({ proxy: deps.proxy ?? false });
  app.on('error', (err: unknown) => log.error('unhandled ui error', { err }));

  app.use(errorsAndRequestLog(log));
  app.use(access.middleware());

  app.use(async (ctx, next) => {
    if (!ctx.path.startsWith(`${API_PREFIX}/`)) {
      await next();
      return;
    }
    ctx.set('Cache-Control', 'no-store');
    const sub = ctx.path.slice(API_PREFIX.length);
    if (sub === '/settings' && ctx.method === 'GET') {
      (ctx.state as { route?: string }).route = 'settings';
      try {
        ctx.body = settingsJson({ defaultNamespace: deps.defaultNamespace, uiVersion: deps.uiVersion, features: await frontendFeatures() });
      } catch (err) {
        // The frontend is down: the UI shows this answer as its connection error.
        const { status, body } = errorJson(err);
        ctx.status = status;
        ctx.body = body;
      }
      return;
    }
    // Match on the raw path: a workflow id may hold an encoded "/".
    const rawPath = (ctx.originalUrl.split('?')[0] ?? '').slice(API_PREFIX.length);
    const match = matchRoute(routes, ctx.method, rawPath);
    if (match === undefined || match === 'method-not-allowed') {
      ctx.status = match ? 405 : 404;
      ctx.body = { code: match ? 12 : 5, message: match ? 'Method Not Allowed' : 'Not Found', details: [] };
      return;
    }
    (ctx.state as { route?: string }).route = match.route.method.name;
    const controller = new AbortController();
    // A long poll (history with waitNewEvent) ends when the browser goes away.
    const onClose = (): void => {
      if (!ctx.res.writableEnded) controller.abort();
    };
    ctx.res.once('close', onClose);
    // Outside the try: a body too large or not JSON is this server's error, not Temporal's.
    const body = match.route.body === '*' ? await readJson(ctx) : undefined;
    try {
      const request = buildRequest(match, ctx.URL.searchParams, body);
      const response = await connection.withAbortSignal(controller.signal, () => rpcOf(connection, match)(request));
      ctx.body = responseJson(match.route, response);
    } catch (err) {
      const { status, body } = errorJson(err);
      if (status >= 500 && status !== 501 && status !== 503) log.warn('temporal call failed', { rpc: match.route.method.name, code: body.code, err });
      ctx.status = status;
      ctx.body = body;
    } finally {
      ctx.res.off('close', onClose);
    }
  });

  app.use(markdownFrames(deps.staticDir));
  app.use(staticFiles(deps.staticDir));
  return app;
}
