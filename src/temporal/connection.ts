import fs from 'node:fs';
import { Client, Connection } from '@temporalio/client';
import type { TLSConfig } from '@temporalio/common/lib/internal-non-workflow';
import type { TemporalConfig } from '../config/config';

/** TLS settings for Temporal Cloud or a secured cluster, from the configured files. */
export function tlsFrom(config: TemporalConfig): TLSConfig | boolean | undefined {
  const tls = config.tls;
  if (!tls) return undefined;
  const out: TLSConfig = {};
  if (tls.clientCertPath && tls.clientKeyPath) {
    out.clientCertPair = { crt: fs.readFileSync(tls.clientCertPath), key: fs.readFileSync(tls.clientKeyPath) };
  }
  if (tls.serverRootCaPath) out.serverRootCACertificate = fs.readFileSync(tls.serverRootCaPath);
  if (tls.serverName) out.serverNameOverride = tls.serverName;
  return Object.keys(out).length ? out : true;
}

/** A connection to the Temporal frontend (the Temporal UI server calls its services directly). */
export function connectTemporal(config: TemporalConfig): Promise<Connection> {
  return Connection.connect({
    address: config.address,
    tls: tlsFrom(config),
    apiKey: config.apiKey,
    connectTimeout: '10s',
  });
}

/** The client the web tier uses to start, signal and query fax workflows. */
export async function connectClient(config: TemporalConfig): Promise<Client> {
  return new Client({ connection: await connectTemporal(config), namespace: config.namespace });
}
