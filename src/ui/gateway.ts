/**
 * The Temporal UI's HTTP API (`/api/v1/...`) mapped onto the Temporal gRPC API, as the official
 * ui-server does with grpc-gateway: the routes are the `google.api.http` bindings carried in the
 * Temporal protos themselves (WorkflowService and OperatorService), so every page of the UI finds
 * the call it makes, and a feature the frontend lacks answers with the frontend's own error
 * (UNIMPLEMENTED → 501), which the UI shows as its normal error or empty state.
 */
import { status as grpcStatus, type Metadata } from '@grpc/grpc-js';
import type { Method, Type } from 'protobufjs';
import { JsonInputError, messageFromJson, messageJson, protoRoot, setParam, type Json } from './proto-json';

type ServiceName = 'workflow' | 'operator';

interface Segment {
  literal?: string;
  /** A field path (`execution.workflow_id`) bound to this path segment. */
  param?: string;
}

export interface Route {
  verb: string;
  segments: Segment[];
  service: ServiceName;
  method: Method;
  /** `*` when the request body is the whole request message. */
  body?: string;
}

const SERVICES: Record<ServiceName, string> = {
  workflow: 'temporal.api.workflowservice.v1.WorkflowService',
  operator: 'temporal.api.operatorservice.v1.OperatorService',
};
const VERBS = ['get', 'post', 'put', 'delete', 'patch'];
export const API_PREFIX = '/api/v1';

interface HttpRule {
  [verb: string]: unknown;
  body?: string;
  additional_bindings?: HttpRule | HttpRule[];
}

function parseTemplate(template: string): Segment[] {
  return template
    .split('/')
    .filter(Boolean)
    .map((s) => (s.startsWith('{') && s.endsWith('}') ? { param: s.slice(1, -1) } : { literal: s }));
}

/** Every `/api/v1` binding of the two services, most specific (most literal segments) first. */
export function buildRoutes(): Route[] {
  const routes: Route[] = [];
  for (const [service, fullName] of Object.entries(SERVICES) as [ServiceName, string][]) {
    const svc = protoRoot.lookupService(fullName);
    for (const method of svc.methodsArray) {
      const options = (method.parsedOptions ?? []) as Record<string, HttpRule>[];
      const rule = options.find((o) => o['(google.api.http)'])?.['(google.api.http)'];
      if (!rule) continue;
      const extra = rule.additional_bindings;
      const bindings = [rule, ...(Array.isArray(extra) ? extra : extra ? [extra] : [])];
      for (const b of bindings) {
        const verb = VERBS.find((v) => typeof b[v] === 'string');
        const template = verb ? (b[verb] as string) : '';
        if (!verb || !template.startsWith(`${API_PREFIX}/`)) continue;
        routes.push({ verb: verb.toUpperCase(), segments: parseTemplate(template.slice(API_PREFIX.length)), service, method, body: b.body });
      }
    }
  }
  const literals = (r: Route): number => r.segments.filter((s) => s.literal !== undefined).length;
  return routes.sort((a, b) => literals(b) - literals(a));
}

export interface RouteMatch {
  route: Route;
  params: Record<string, string>;
}

/** The route for a request path below /api/v1 (raw, still percent-encoded). */
export function matchRoute(routes: Route[], verb: string, rawPath: string): RouteMatch | 'method-not-allowed' | undefined {
  const parts = rawPath.split('/').filter(Boolean);
  let pathMatched = false;
  for (const route of routes) {
    if (route.segments.length !== parts.length) continue;
    const params: Record<string, string> = {};
    let ok = true;
    for (let i = 0; i < parts.length && ok; i++) {
      const seg = route.segments[i];
      if (seg.literal !== undefined) ok = seg.literal === parts[i];
      else {
        try {
          params[seg.param as string] = decodeURIComponent(parts[i]);
        } catch {
          ok = false;
        }
      }
    }
    if (!ok) continue;
    if (route.verb !== verb) {
      pathMatched = true;
      continue;
    }
    return { route, params };
  }
  return pathMatched ? 'method-not-allowed' : undefined;
}

/**
 * The request message of a call: the JSON body (for `body: "*"` bindings), then the query
 * parameters (other bindings), then the path parameters, which win — as grpc-gateway.
 */
export function buildRequest(match: RouteMatch, query: URLSearchParams, body: Json | undefined): Record<string, unknown> {
  const type = match.route.method.resolvedRequestType as Type;
  const req = match.route.body === '*' && body !== undefined && body !== null ? messageFromJson(type, body) : {};
  if (match.route.body !== '*') {
    for (const [key, value] of query) {
      if (!(key in match.params)) setParam(type, req, key, value);
    }
  }
  for (const [path, value] of Object.entries(match.params)) {
    if (!setParam(type, req, path, value)) throw new JsonInputError(`path parameter ${path} names no field`);
  }
  return req;
}

export function responseJson(route: Route, response: unknown): Json {
  return messageJson(route.method.resolvedResponseType as Type, response as Record<string, unknown>);
}

/** gRPC status → HTTP status, as grpc-gateway's HTTPStatusFromCode. */
const HTTP_STATUS: Record<number, number> = {
  [grpcStatus.OK]: 200,
  [grpcStatus.CANCELLED]: 499,
  [grpcStatus.UNKNOWN]: 500,
  [grpcStatus.INVALID_ARGUMENT]: 400,
  [grpcStatus.DEADLINE_EXCEEDED]: 504,
  [grpcStatus.NOT_FOUND]: 404,
  [grpcStatus.ALREADY_EXISTS]: 409,
  [grpcStatus.PERMISSION_DENIED]: 403,
  [grpcStatus.UNAUTHENTICATED]: 401,
  [grpcStatus.RESOURCE_EXHAUSTED]: 429,
  [grpcStatus.FAILED_PRECONDITION]: 400,
  [grpcStatus.ABORTED]: 409,
  [grpcStatus.OUT_OF_RANGE]: 400,
  [grpcStatus.UNIMPLEMENTED]: 501,
  [grpcStatus.INTERNAL]: 500,
  [grpcStatus.UNAVAILABLE]: 503,
  [grpcStatus.DATA_LOSS]: 500,
};

export interface ApiError {
  status: number;
  body: { code: number; message: string; details: Json[] };
}

interface GrpcErrorLike {
  code?: unknown;
  details?: unknown;
  message?: unknown;
  metadata?: Metadata;
}

/**
 * A failed call as the UI reads it: `{code, message, details}` (google.rpc.Status in proto3
 * JSON, details decoded from `grpc-status-details-bin`) with the matching HTTP status.
 */
export function errorJson(err: unknown): ApiError {
  if (err instanceof JsonInputError) {
    return { status: 400, body: { code: grpcStatus.INVALID_ARGUMENT, message: err.message, details: [] } };
  }
  const e = (err ?? {}) as GrpcErrorLike;
  const code = typeof e.code === 'number' && HTTP_STATUS[e.code] !== undefined ? e.code : grpcStatus.UNAVAILABLE;
  const message = typeof e.details === 'string' && e.details ? e.details : typeof e.message === 'string' ? e.message : String(err);
  let details: Json[] = [];
  const bin = e.metadata?.get('grpc-status-details-bin')?.[0];
  if (bin instanceof Buffer) {
    try {
      const statusType = protoRoot.lookupType('google.rpc.Status');
      const decoded = messageJson(statusType, statusType.decode(bin)) as { details?: Json[] };
      details = decoded.details ?? [];
    } catch {
      // Undecodable details: the code and message still say what went wrong.
    }
  }
  return { status: HTTP_STATUS[code], body: { code, message, details } };
}

/** The protobufjs method name on a generated service object: `listWorkflowExecutions`. */
export function rpcName(method: Method): string {
  return method.name.charAt(0).toLowerCase() + method.name.slice(1);
}
