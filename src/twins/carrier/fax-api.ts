import { randomUUID, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { decodeClientState } from '../../carrier/client-state';
import type { Logger } from '../../log';
import { ApiError, errors } from './api-errors';
import type { FaxStore, TwinFax } from './fax-store';
import type { Transmitter } from './transmitter';
import type { WebhookSender } from './webhook-sender';

const E164 = /^\+[1-9]\d{1,14}$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const MAX_BODY_BYTES = 1024 * 1024;
const MAX_PAGE_SIZE = 250;

export interface FaxApiDeps {
  store: FaxStore;
  transmitter: Transmitter;
  webhooks: WebhookSender;
  /** When set, only this bearer token is accepted; otherwise any non-empty one. */
  apiKey?: string;
  log: Logger;
}

/** The public fax resource, as Telnyx returns it (internal bookkeeping left out). */
export function faxResource(fax: TwinFax): Record<string, unknown> {
  return {
    record_type: 'fax',
    id: fax.id,
    connection_id: fax.connection_id,
    direction: 'outbound',
    from: fax.from,
    to: fax.to,
    media_url: fax.media_url,
    client_state: fax.client_state ?? undefined,
    webhook_url: fax.webhook_url ?? undefined,
    quality: 'high',
    store_media: false,
    status: fax.status,
    failure_reason: fax.failure_reason,
    internal_failure_reason: fax.failure_reason,
    page_count: fax.page_count,
    call_duration_secs: fax.call_duration_secs,
    created_at: fax.created_at,
    updated_at: fax.updated_at,
  };
}

function send(res: ServerResponse, status: number, body: object): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function authorised(req: IncomingMessage, apiKey: string | undefined): boolean {
  const match = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '');
  if (!match) return false;
  if (apiKey === undefined) return true;
  const given = Buffer.from(match[1]);
  const expected = Buffer.from(apiKey);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (type !== 'application/json') throw errors.unsupportedMediaType();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw errors.tooLarge();
    chunks.push(chunk);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw errors.invalidJson();
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw errors.invalidJson();
  return parsed as Record<string, unknown>;
}

function requiredString(body: Record<string, unknown>, field: string): string {
  const value = body[field];
  if (value === undefined || value === null || value === '') throw errors.missing(field);
  if (typeof value !== 'string') throw errors.invalidValue(field, `The '${field}' parameter must be a string.`);
  return value;
}

function httpUrl(value: string, field: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw errors.invalidUrl(field);
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || value.length > 2000) throw errors.invalidUrl(field);
  return value;
}

function createFax(body: Record<string, unknown>): TwinFax {
  const connectionId = requiredString(body, 'connection_id');
  const to = requiredString(body, 'to');
  if (!E164.test(to)) throw errors.notE164('to');
  const from = requiredString(body, 'from');
  if (!E164.test(from)) throw errors.notE164('from');
  if (body.media_name !== undefined) throw errors.invalidValue('media_name', 'The sandbox carrier takes documents by media_url only.');
  const mediaUrl = httpUrl(requiredString(body, 'media_url'), 'media_url');
  let clientState: string | null = null;
  if (body.client_state !== undefined && body.client_state !== null) {
    if (typeof body.client_state !== 'string' || !BASE64.test(body.client_state) || body.client_state.length > 4096) {
      throw errors.invalidValue('client_state', 'client_state must be a valid Base-64 encoded string.');
    }
    clientState = body.client_state;
  }
  let webhookUrl: string | null = null;
  if (body.webhook_url !== undefined && body.webhook_url !== null) {
    if (typeof body.webhook_url !== 'string') throw errors.invalidUrl('webhook_url');
    webhookUrl = httpUrl(body.webhook_url, 'webhook_url');
  }
  const ours = decodeClientState(clientState);
  const now = new Date().toISOString();
  return {
    id: randomUUID(),
    connection_id: connectionId,
    from,
    to,
    media_url: mediaUrl,
    client_state: clientState,
    webhook_url: webhookUrl,
    status: 'queued',
    failure_reason: null,
    page_count: null,
    call_duration_secs: null,
    created_at: now,
    updated_at: now,
    fax_key: ours?.faxId ?? null,
    attempt: ours?.attempt ?? null,
    document_pages: null,
    dialed: false,
  };
}

function dateFilter(query: URLSearchParams, name: string): number | null {
  const raw = query.get(name);
  if (raw === null) return null;
  const t = Date.parse(raw);
  if (Number.isNaN(t)) throw errors.invalidValue(name, `${name} must be an ISO 8601 date-time.`);
  return t;
}

function intParam(query: URLSearchParams, name: string, fallback: number, min: number, max: number): number {
  const raw = query.get(name);
  if (raw === null) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw errors.invalidValue(name, `${name} must be a whole number from ${min} to ${max}.`);
  return n;
}

/** GET /v2/faxes with Telnyx's filters (both `filter[to]` and `filter[to][eq]` forms) and page[...] paging. */
function listFaxes(store: FaxStore, query: URLSearchParams): object {
  const to = query.get('filter[to][eq]') ?? query.get('filter[to]');
  const from = query.get('filter[from][eq]') ?? query.get('filter[from]');
  const direction = query.get('filter[direction][eq]') ?? query.get('filter[direction]');
  const gte = dateFilter(query, 'filter[created_at][gte]');
  const gt = dateFilter(query, 'filter[created_at][gt]');
  const lte = dateFilter(query, 'filter[created_at][lte]');
  const lt = dateFilter(query, 'filter[created_at][lt]');
  const size = intParam(query, 'page[size]', 20, 1, MAX_PAGE_SIZE);
  const number = intParam(query, 'page[number]', 1, 1, 1_000_000);
  const matches = store
    .all()
    .filter((f) => {
      const created = Date.parse(f.created_at);
      return (
        (to === null || f.to === to) &&
        (from === null || f.from === from) &&
        (direction === null || direction === 'outbound') &&
        (gte === null || created >= gte) &&
        (gt === null || created > gt) &&
        (lte === null || created <= lte) &&
        (lt === null || created < lt)
      );
    })
    .sort((a, b) => b.created_at.localeCompare(a.created_at) || b.id.localeCompare(a.id));
  const totalPages = Math.max(1, Math.ceil(matches.length / size));
  return {
    data: matches.slice((number - 1) * size, number * size).map(faxResource),
    meta: { page_number: number, page_size: size, total_pages: totalPages, total_results: matches.length },
  };
}

/** The twin's HTTP handler: Telnyx's fax endpoints under /v2. */
export function createFaxApi(deps: FaxApiDeps): (req: IncomingMessage, res: ServerResponse) => void {
  const { store, transmitter, webhooks, log } = deps;

  /** Answers once every change so far is on disk, so nothing an answer reports can be lost. */
  async function reply(res: ServerResponse, status: number, body: object): Promise<void> {
    await store.flush();
    send(res, status, body);
  }

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://twin');
    const parts = url.pathname.split('/').filter(Boolean);
    if (parts[0] !== 'v2' || parts[1] !== 'faxes') throw errors.notFound();
    if (!authorised(req, deps.apiKey)) throw errors.unauthenticated();
    const method = req.method ?? 'GET';

    if (parts.length === 2) {
      if (method === 'POST') {
        const fax = createFax(await readJson(req));
        store.insert(fax);
        log.info('fax accepted', { carrierFaxId: fax.id, attempt: fax.attempt });
        webhooks.send(fax, 'fax.queued');
        transmitter.start(fax);
        return reply(res, 202, { data: faxResource(fax) });
      }
      if (method === 'GET') return reply(res, 200, listFaxes(store, url.searchParams));
      throw errors.methodNotAllowed();
    }

    const fax = store.get(parts[2]);
    if (!fax) throw errors.notFound();
    if (parts.length === 3) {
      if (method !== 'GET') throw errors.methodNotAllowed();
      return reply(res, 200, { data: faxResource(fax) });
    }
    if (parts.length === 5 && parts[3] === 'actions' && parts[4] === 'cancel') {
      if (method !== 'POST') throw errors.methodNotAllowed();
      if (!(await transmitter.cancel(fax))) throw errors.notCancellable(fax.status);
      log.info('fax cancelled', { carrierFaxId: fax.id });
      return reply(res, 200, { data: { result: 'ok' } });
    }
    throw errors.notFound();
  }

  return (req, res) => {
    route(req, res).catch((err: unknown) => {
      const problem = err instanceof ApiError ? err : errors.unexpected();
      if (!(err instanceof ApiError)) log.error('carrier twin request failed', { err, method: req.method });
      if (!res.headersSent) send(res, problem.status, problem.body());
      else res.destroy();
    });
  };
}
