import * as grpc from '@grpc/grpc-js';
import type { Method, Type } from 'protobufjs';
import type { Logger } from '../../log';
import { protoRoot } from '../proto';
import { EngineError, encodeStatusDetails } from './errors';

export interface CallContext {
  /** Runs `fn` if the client cancels the call (or its deadline passes). */
  onCancel: (fn: () => void) => void;
  /** Milliseconds until the client's deadline; Infinity when it set none. */
  remainingMs: () => number;
}

/** A unary handler: gets the decoded request as a plain object, returns the plain response. */
// The request type is erased here: each handler declares its own (see handlers/*).
export type Handler = (req: never, ctx: CallContext) => unknown;
export type StreamHandler = (req: unknown, write: (msg: object) => void, ctx: CallContext) => void;

export interface ServiceImpl {
  name: string;
  unary: Record<string, Handler>;
  streams?: Record<string, StreamHandler>;
}

const TO_OBJECT = { longs: Number, defaults: false, arrays: false, objects: false } as const;

/**
 * Builds grpc-js services from the protobufjs root. Requests arrive as raw bytes and are decoded
 * here, so a malformed request is an INVALID_ARGUMENT for that call only; a method without a
 * handler is UNIMPLEMENTED, naming it; anything a handler throws becomes a status (EngineError)
 * or an INTERNAL error that is logged — never a crash. Every reply waits for `beforeReply`
 * (the journal's fsync), so nothing is acknowledged before it is durable.
 */
export function buildServer(services: ServiceImpl[], log: Logger, beforeReply: () => Promise<void> | undefined): grpc.Server {
  const server = new grpc.Server({
    'grpc.max_receive_message_length': 128 * 1024 * 1024,
    'grpc.max_send_message_length': 128 * 1024 * 1024,
    'grpc.keepalive_permit_without_calls': 1,
  });
  for (const svc of services) {
    const reflection = protoRoot.lookupService(svc.name);
    const definition: Record<string, grpc.MethodDefinition<Buffer, Buffer>> = {};
    const implementation: grpc.UntypedServiceImplementation = {};
    const short = svc.name.split('.').pop() ?? svc.name;
    for (const method of Object.values<Method>(reflection.methods)) {
      method.resolve();
      const reqType = method.resolvedRequestType as Type;
      const resType = method.resolvedResponseType as Type;
      const name = method.name;
      definition[name] = {
        path: `/${svc.name}/${name}`,
        requestStream: !!method.requestStream,
        responseStream: !!method.responseStream,
        requestSerialize: (b: Buffer) => b,
        requestDeserialize: (b: Buffer) => b,
        responseSerialize: (b: Buffer) => b,
        responseDeserialize: (b: Buffer) => b,
      };
      // A request's bytes fields (payloads, tokens) stay views into the buffer it is decoded from,
      // and a small message arrives in a slice of Node's shared 8 KiB buffer pool: a payload kept
      // in a run's history would keep that whole slab alive. Decoded from a copy of its own size,
      // a kept payload holds only its own message.
      const decode = (raw: Buffer): unknown => {
        const own = Buffer.allocUnsafeSlow(raw.length);
        raw.copy(own);
        return reqType.toObject(reqType.decode(own), TO_OBJECT);
      };
      const encode = (msg: unknown): Buffer => Buffer.from(resType.encode(resType.fromObject(msg as Record<string, unknown>)).finish());
      const stream = svc.streams?.[name];
      if (method.responseStream) {
        implementation[name] = (call: grpc.ServerWritableStream<Buffer, Buffer>) => {
          if (!stream) {
            call.emit('error', { code: grpc.status.UNIMPLEMENTED, details: `${short}/${name} is not implemented by the Durafax engine` });
            return;
          }
          try {
            stream(decode(call.request), (msg) => call.write(encode(msg)), context(call));
          } catch (err) {
            call.emit('error', toStatus(err, `${short}/${name}`, log));
          }
        };
        continue;
      }
      const handler = svc.unary[name] as ((req: unknown, ctx: CallContext) => unknown) | undefined;
      implementation[name] = (call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => {
        const rpc = `${short}/${name}`;
        if (!handler) {
          log.debug('rpc unimplemented', { rpc });
          callback({ code: grpc.status.UNIMPLEMENTED, details: `${rpc} is not implemented by the Durafax engine` });
          return;
        }
        let req: unknown;
        try {
          req = decode(call.request);
        } catch (err) {
          callback({ code: grpc.status.INVALID_ARGUMENT, details: `malformed ${name}Request: ${(err as Error).message}` });
          return;
        }
        const started = Date.now();
        void (async () => {
          try {
            const res = await handler(req, context(call));
            await beforeReply();
            const bytes = encode(res ?? {});
            log.debug('rpc', { rpc, ms: Date.now() - started });
            callback(null, bytes);
          } catch (err) {
            callback(toStatus(err, rpc, log));
          }
        })();
      };
    }
    server.addService(definition, implementation);
  }
  return server;
}

function context(call: grpc.ServerUnaryCall<Buffer, Buffer> | grpc.ServerWritableStream<Buffer, Buffer>): CallContext {
  return {
    onCancel: (fn) => {
      if (call.cancelled) fn();
      else call.once('cancelled', fn);
    },
    remainingMs: () => {
      const d = call.getDeadline();
      const at = d instanceof Date ? d.getTime() : d;
      return Number.isFinite(at) ? at - Date.now() : Infinity;
    },
  };
}

function toStatus(err: unknown, rpc: string, log: Logger): Partial<grpc.StatusObject> {
  if (err instanceof EngineError) {
    log.debug('rpc error', { rpc, code: grpc.status[err.code], message: err.message });
    const metadata = new grpc.Metadata();
    const details = encodeStatusDetails(err);
    if (details) metadata.set('grpc-status-details-bin', details);
    return { code: err.code, details: err.message, metadata };
  }
  log.error('rpc failed', { rpc, err });
  return { code: grpc.status.INTERNAL, details: `${rpc} failed: ${err instanceof Error ? err.message : String(err)}` };
}
