import Router from '@koa/router';
import type Stripe from 'stripe';
import type { DataSource } from 'typeorm';
import { Faxes } from '../../db/faxes';
import { LOCALES } from '../../domain/status';
import { WebhookEvents } from '../../db/webhook-events';
import type { Logger } from '../../log';
import type { Payments } from '../../payments/types';
import type { FaxSignals } from '../fax-signals';
import { limitPerIp, type RateLimits } from '../middleware/rate-limit';
import { checkoutCancelled, checkoutSuccess } from './redirects';
import { createStripeSignatureChecker } from './signature';
import { stripeWebhook } from './webhook';

export { HANDLED_EVENTS } from './webhook';

export interface StripeRouteDeps {
  db: DataSource;
  payments: Payments;
  signals: FaxSignals;
  /** The endpoint's signing secret (`whsec_…`). */
  webhookSecret: string;
  /** Where the app is reached; redirects go to its status pages. */
  publicBaseUrl: string;
  log: Logger;
  /** Verifies webhook signatures (default: the `stripe` library's own helper). */
  stripe?: { webhooks: Stripe['webhooks'] };
  /** How old a signed event may be, in seconds (default 300, Stripe's recommendation). */
  toleranceSecs?: number;
  /** Counts the success redirects per client address: each asks Stripe. */
  limits: RateLimits;
}

/** Stripe's side of the app: the signed webhook and Checkout's success and cancel redirects. */
export function createStripeRoutes(deps: StripeRouteDeps): Router {
  const log = deps.log.child({ route: 'stripe' });
  const faxes = new Faxes(deps.db);
  const common = { faxes, payments: deps.payments, signals: deps.signals, log };
  const check = createStripeSignatureChecker(deps.webhookSecret, deps.toleranceSecs, deps.stripe?.webhooks);
  const router = new Router();
  router.post('/webhooks/stripe', stripeWebhook({ ...common, events: new WebhookEvents(deps.db) }, check));
  const success = checkoutSuccess({ ...common, publicBaseUrl: deps.publicBaseUrl });
  const cancelled = checkoutCancelled({ publicBaseUrl: deps.publicBaseUrl });
  const limited = limitPerIp(deps.limits, 'checkoutReturn');
  // Checkouts opened before the return URLs carried the language prefix come back without it.
  for (const prefix of ['', ...LOCALES.map((l) => `/${l}`)]) {
    router.get(`${prefix}/checkout/:faxId/success`, limited, success);
    router.get(`${prefix}/checkout/:faxId/cancel`, cancelled);
  }
  return router;
}
