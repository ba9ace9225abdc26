import { randomUUID } from 'node:crypto';
import { status } from '@grpc/grpc-js';
import type { Engine } from '../engine';
import { EngineError, failedPrecondition, invalidArgument, notFound } from '../grpc/errors';
import { protoRoot, type Payload, type temporal, type Plain } from '../proto';
import { msTimestamp } from '../time';

type Spec = Plain<temporal.api.nexus.v1.EndpointSpec.$Properties>;
const PayloadType = protoRoot.lookupType('temporal.api.common.v1.Payload');

/** A Nexus endpoint: a name callers use, routed to a worker's task queue in a namespace. */
export interface EndpointRecord {
  id: string;
  version: number;
  name: string;
  description?: Payload;
  target: { namespace: string; taskQueue: string };
  createdTime: number;
  lastModifiedTime: number;
}

/** The real server's rule for endpoint names, and its default limits (dynamic config). */
const NAME = /^[a-zA-Z][a-zA-Z0-9-]*[a-zA-Z0-9]$/;
const MAX_NAME_LENGTH = 200;
const MAX_TASK_QUEUE_LENGTH = 1000;
const MAX_DESCRIPTION_SIZE = 20_000;
export const LIST_DEFAULT_PAGE_SIZE = 100;
export const LIST_MAX_PAGE_SIZE = 1000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The real server's way of refusing a request: every issue found, in one INVALID_ARGUMENT. */
function refuse(issues: string[]): void {
  if (issues.length) throw invalidArgument(issues.join(', '));
}

function idIssues(id: string): string[] {
  if (!id) return ['endpoint ID not set'];
  return UUID.test(id) ? [] : [`malformed endpoint ID: "invalid UUID format"`];
}

/**
 * Nexus endpoints (OperatorService), cluster-wide as the real server keeps them: created,
 * read, updated with the version a caller last saw, deleted; journaled whole with each change.
 * Checks and refusals are the real server's (name pattern and length, target namespace and task
 * queue, description size, UUID ids, versions). Only worker targets: an external (HTTP) target
 * is UNIMPLEMENTED, the engine makes no calls out.
 */
export class NexusEndpoints {
  readonly byId = new Map<string, EndpointRecord>();

  constructor(private readonly engine: Engine) {}

  byName(name: string): EndpointRecord | undefined {
    for (const e of this.byId.values()) if (e.name === name) return e;
    return undefined;
  }

  private checkSpec(spec: Spec | null | undefined): { name: string; target: EndpointRecord['target']; description?: Payload } {
    const name = spec?.name ?? '';
    const issues: string[] = [];
    if (!name) issues.push('endpoint name not set');
    else {
      if (name.length > MAX_NAME_LENGTH) issues.push(`endpoint name exceeds length limit of ${MAX_NAME_LENGTH}`);
      if (!NAME.test(name)) issues.push(`endpoint name must match the regex: ${JSON.stringify(NAME.source)}`);
    }
    const target = spec?.target;
    if (!target?.worker && !target?.external) {
      issues.push('empty target variant');
      refuse(issues);
    }
    if (target?.external) throw new EngineError(status.UNIMPLEMENTED, 'Nexus endpoints with an external target are not implemented by the Durafax engine');
    const worker = target?.worker ?? {};
    if (!worker.namespace) issues.push('target namespace not set');
    else {
      try {
        this.engine.namespaces.get(worker.namespace);
      } catch (err) {
        throw failedPrecondition(`could not verify namespace referenced by target exists: ${(err as Error).message}`);
      }
    }
    const queue = worker.taskQueue ?? '';
    const queueIssue = !queue ? 'taskQueue is not set' : queue.length > MAX_TASK_QUEUE_LENGTH ? 'taskQueue length exceeds limit' : '';
    if (queueIssue) issues.push(`invalid target task queue: ${JSON.stringify(queueIssue)}`);
    const description = spec?.description ?? undefined;
    if (description && PayloadType.encode(PayloadType.fromObject(description)).len > MAX_DESCRIPTION_SIZE) {
      issues.push(`description size exceeds limit of ${MAX_DESCRIPTION_SIZE}`);
    }
    refuse(issues);
    return { name, target: { namespace: worker.namespace ?? '', taskQueue: queue }, description };
  }

  create(spec: Spec | null | undefined): EndpointRecord {
    const checked = this.checkSpec(spec);
    if (this.byName(checked.name)) throw new EngineError(status.ALREADY_EXISTS, `error creating Nexus endpoint. Endpoint with name ${checked.name} already registered`);
    const now = this.engine.now();
    const rec: EndpointRecord = { id: randomUUID(), version: 1, ...checked, createdTime: now, lastModifiedTime: now };
    this.byId.set(rec.id, rec);
    this.engine.touchEndpoint(rec);
    return rec;
  }

  get(id: string | null | undefined): EndpointRecord {
    refuse(idIssues(id ?? ''));
    const rec = this.byId.get(id ?? '');
    if (!rec) throw notFound(`Nexus endpoint with ID \`${id ?? ''}\` not found`);
    return rec;
  }

  update(id: string | null | undefined, version: number, spec: Spec | null | undefined): EndpointRecord {
    const checked = this.checkSpec(spec);
    const rec = this.byId.get(id ?? '');
    if (!rec) throw notFound(`error updating Nexus endpoint. endpoint ID ${id ?? ''} not found`);
    if (version !== rec.version) throw failedPrecondition(`nexus endpoint version mismatch. received: ${version} expected ${rec.version}`);
    // Another endpoint's name stays its own (the real server's table keeps names unique on create only).
    const taken = this.byName(checked.name);
    if (taken && taken.id !== rec.id) throw new EngineError(status.ALREADY_EXISTS, `error updating Nexus endpoint. Endpoint with name ${checked.name} already registered`);
    Object.assign(rec, checked, { version: rec.version + 1, lastModifiedTime: this.engine.now() });
    this.engine.touchEndpoint(rec);
    return rec;
  }

  /** As the real server: the version must be positive, but it is not compared with the endpoint's. */
  delete(id: string | null | undefined, version: number): void {
    const issues = idIssues(id ?? '');
    if (version <= 0) issues.push('endpoint version is non-positive');
    refuse(issues);
    const rec = this.byId.get(id ?? '');
    if (!rec) throw notFound(`error deleting nexus endpoint with ID: ${id ?? ''}`);
    this.byId.delete(rec.id);
    this.engine.endpointDeleted(rec.id);
  }

  /** A page of endpoints in id order, as the real server pages them (the token is the next endpoint's id). */
  list(pageSize: number, token: string): { page: EndpointRecord[]; next?: string } {
    if (pageSize < 0) throw invalidArgument('page_size is negative');
    if (pageSize > LIST_MAX_PAGE_SIZE) throw invalidArgument(`page_size exceeds limit of ${LIST_MAX_PAGE_SIZE}`);
    const size = pageSize || LIST_DEFAULT_PAGE_SIZE;
    const all = [...this.byId.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const start = token ? all.findIndex((e) => e.id === token) : 0;
    if (start < 0) throw failedPrecondition('could not find endpoint indicated by nexus list endpoints next page token');
    const page = all.slice(start, start + size);
    return { page, next: all[start + size]?.id };
  }

  recover(records: EndpointRecord[]): void {
    for (const rec of records) this.byId.set(rec.id, rec);
  }

  /** An endpoint as the API shows it. */
  static proto(rec: EndpointRecord): Plain<temporal.api.nexus.v1.Endpoint.$Properties> {
    return {
      version: rec.version,
      id: rec.id,
      spec: { name: rec.name, description: rec.description, target: { worker: rec.target } },
      createdTime: msTimestamp(rec.createdTime),
      lastModifiedTime: msTimestamp(rec.lastModifiedTime),
      urlPrefix: `/nexus/endpoints/${rec.id}/services`,
    };
  }
}
