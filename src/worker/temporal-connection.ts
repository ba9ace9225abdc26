import { NativeConnection } from '@temporalio/worker';
import type { TemporalConfig } from '../config/config';
import { tlsFrom } from '../temporal/connection';

/**
 * The worker's native connection (Rust core). Apart from the client's connection, so the web
 * and the Temporal UI never load the worker's library (its bundler and workflow runtime).
 */
export function connectWorker(config: TemporalConfig): Promise<NativeConnection> {
  return NativeConnection.connect({ address: config.address, tls: tlsFrom(config), apiKey: config.apiKey });
}
