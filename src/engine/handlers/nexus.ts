import type { Engine } from '../engine';
import type { Handler } from '../grpc/server';
import { NexusEndpoints } from '../nexus/endpoints';
import type { temporal, Plain } from '../proto';

type O = typeof temporal.api.operatorservice.v1;
type Req<K extends keyof O> = O[K] extends { prototype: infer P } ? Plain<P> : never;

/** OperatorService's Nexus endpoint calls: create, get, list (optionally by name), update, delete. */
export function nexusEndpointHandlers(engine: Engine): Record<string, Handler> {
  return {
    CreateNexusEndpoint: (req: Req<'CreateNexusEndpointRequest'>) => ({ endpoint: NexusEndpoints.proto(engine.tx(() => engine.endpoints.create(req.spec))) }),

    GetNexusEndpoint: (req: Req<'GetNexusEndpointRequest'>) => ({ endpoint: NexusEndpoints.proto(engine.endpoints.get(req.id)) }),

    ListNexusEndpoints: (req: Req<'ListNexusEndpointsRequest'>) => {
      // As the real server: a name filter answers that endpoint or none, whatever the paging fields say.
      if (req.name) {
        const found = engine.endpoints.byName(req.name);
        return { endpoints: found ? [NexusEndpoints.proto(found)] : [] };
      }
      const token = req.nextPageToken?.length ? Buffer.from(req.nextPageToken).toString('utf8') : '';
      const { page, next } = engine.endpoints.list(Number(req.pageSize ?? 0), token);
      return { endpoints: page.map((e) => NexusEndpoints.proto(e)), nextPageToken: next ? Buffer.from(next, 'utf8') : undefined };
    },

    UpdateNexusEndpoint: (req: Req<'UpdateNexusEndpointRequest'>) => ({
      endpoint: NexusEndpoints.proto(engine.tx(() => engine.endpoints.update(req.id, Number(req.version ?? 0), req.spec))),
    }),

    DeleteNexusEndpoint: (req: Req<'DeleteNexusEndpointRequest'>) => {
      engine.tx(() => engine.endpoints.delete(req.id, Number(req.version ?? 0)));
      return {};
    },
  };
}
