import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { silentLogger, type Logger } from '../../log';
import { createFaxApi, faxResource } from './fax-api';
import { FaxStore } from './fax-store';
import { loadOrCreateSigningKey } from './signing-key';
import { Transmitter } from './transmitter';
import { WebhookSender, type DeliveryRecord } from './webhook-sender';

export { TEST_NUMBERS } from './test-numbers';
export { signWebhook } from './signing-key';

export interface CarrierTwinOptions {
  port: number;
  host?: string;
  /** Where keys and faxes are kept across restarts; undefined keeps everything in memory. */
  dataDir?: string;
  /** Default receiver of fax webhooks (a fax's own `webhook_url` wins). */
  webhookUrl?: string;
  /** Simulated transmission time per page (default 2000 ms; tests use 5–20). */
  msPerPage?: number;
  log?: Logger;
  /** When set, requests must carry `Authorization: Bearer <apiKey>`; otherwise any bearer token passes. */
  apiKey?: string;
  /** Waits before redelivering a webhook that was not answered with 2xx (default 1 s, 5 s, 15 s). */
  webhookRetryDelaysMs?: readonly number[];
  /** Journal size below which it is never compacted (default 1 MiB). */
  journalMinCompactBytes?: number;
  /** How long a final fax stays in memory after its last use, with a data folder (default 30 s). */
  pageIdleMs?: number;
}

export interface CarrierTwin {
  /** Root URL (`http://host:port`); the Telnyx API lives under `/v2`. */
  url: string;
  port: number;
  /** Base64 Ed25519 public key that verifies the twin's webhooks. */
  publicKey: string;
  /**
   * Faxes the twin accepted for a carrier fax id (0 or 1) or for a Durafax fax id (from
   * client_state), optionally only for one attempt. Every accepted fax is one transmission:
   * like Telnyx, the twin never retries on its own.
   */
  transmissions(carrierFaxIdOrFaxId: string, attempt?: number): number;
  /** A fax as GET /v2/faxes/:id would return it, or null. */
  fax(carrierFaxId: string): Record<string, unknown> | null;
  /** Webhook delivery attempts so far (the latest 1000), oldest first. */
  deliveries(): readonly DeliveryRecord[];
  /** Resolves when no webhook is waiting to be delivered. */
  webhooksIdle(): Promise<void>;
  /** Faxes in memory, and in all: final ones idle for `pageIdleMs` are paged out. */
  residency(): { resident: number; total: number };
  /** Stops simulations where they are, saves state and closes the server. */
  stop(): Promise<void>;
}

/**
 * Starts the offline carrier twin: Telnyx's fax API (POST/GET /v2/faxes, GET
 * /v2/faxes/:id, POST /v2/faxes/:id/actions/cancel) with simulated transmissions and
 * signed webhooks. Sandbox mode only.
 */
export async function startCarrierTwin(opts: CarrierTwinOptions): Promise<CarrierTwin> {
  const log = (opts.log ?? silentLogger).child({ twin: 'carrier' });
  const host = opts.host ?? '127.0.0.1';
  const key = await loadOrCreateSigningKey(opts.dataDir);
  const store = await FaxStore.open(opts.dataDir, log, { minCompactBytes: opts.journalMinCompactBytes, pageIdleMs: opts.pageIdleMs });
  const shutdown = new AbortController();
  const webhooks = new WebhookSender(key.privateKey, opts.webhookUrl, opts.webhookRetryDelaysMs ?? [1000, 5000, 15_000], shutdown.signal, log, () => store.flush());
  const transmitter = new Transmitter(store, webhooks, opts.msPerPage ?? 2000, log);
  const server = http.createServer(createFaxApi({ store, transmitter, webhooks, apiKey: opts.apiKey, log }));

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  transmitter.resume();
  log.info('carrier twin listening', { port });

  let stopped: Promise<void> | null = null;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    publicKey: key.publicKey,
    transmissions: (id, attempt) => store.all().filter((f) => (f.id === id || f.fax_key === id) && (attempt === undefined || f.attempt === attempt)).length,
    fax: (id) => {
      const f = store.get(id);
      return f ? faxResource(f) : null;
    },
    deliveries: () => webhooks.deliveries(),
    residency: () => store.residency(),
    webhooksIdle: () => webhooks.idle(),
    stop: () => {
      stopped ??= (async () => {
        shutdown.abort();
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeAllConnections();
        await transmitter.stop();
        await closed;
        await store.close();
        log.info('carrier twin stopped');
      })();
      return stopped;
    },
  };
}
