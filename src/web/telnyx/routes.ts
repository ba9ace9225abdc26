import Router from '@koa/router';
import type { DataSource } from 'typeorm';
import { WebhookEvents } from '../../db/webhook-events';
import type { Logger } from '../../log';
import type { FaxSignals } from '../fax-signals';
import { createTelnyxSignatureChecker } from './signature';
import { telnyxWebhook } from './webhook';

export interface TelnyxRouteDeps {
  db: DataSource;
  signals: FaxSignals;
  /** Base64 Ed25519 public key of the carrier (Telnyx portal, or the twin's). */
  publicKey: string;
  log: Logger;
  /** How old a signed timestamp may be, in seconds (at most 300, the library's own limit). */
  toleranceSecs?: number;
}

/** The carrier's side of the app: its signed fax webhooks. */
export function createTelnyxRoutes(deps: TelnyxRouteDeps): Router {
  const check = createTelnyxSignatureChecker(deps.publicKey, deps.toleranceSecs);
  const router = new Router();
  router.post('/webhooks/telnyx', telnyxWebhook({ events: new WebhookEvents(deps.db), signals: deps.signals, log: deps.log.child({ route: 'telnyx-webhook' }) }, check));
  return router;
}
