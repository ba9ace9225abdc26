import Router from '@koa/router';
import type Koa from 'koa';
import Stripe from 'stripe';
import type { DataSource } from 'typeorm';
import { Fax } from '../../db/entities/fax';
import { negotiateLocale, t } from '../../i18n';
import type { Logger } from '../../log';
import { PaymentError, type Payments } from '../../payments/types';
import { HttpProblem, type ProblemBody } from '../errors';
import type { FaxSignals } from '../fax-signals';
import { checkPayment, type PaymentCheckDeps } from './stripe-payment-check';
import { readStripeBody } from './stripe-raw-body';
import { processStripeEvent } from './stripe-webhook';

export { HANDLED_EVENTS } from './stripe-webhook';

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
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const SESSION_ID = /^cs_[A-Za-z0-9_]{1,250}$/;

function localeOf(ctx: Koa.Context): ReturnType<typeof negotiateLocale> {
  return negotiateLocale((ctx.state as { locale?: unknown }).locale ?? ctx.query.locale, ctx.get('Accept-Language'));
}

function refuse(ctx: Koa.Context, key: string): HttpProblem {
  return new HttpProblem(400, 'invalid_request', { detail: t(localeOf(ctx), `payments.${key}`) });
}

function unavailable(ctx: Koa.Context, key: string): void {
  const body: ProblemBody = { error: { code: 'unavailable', message: t(localeOf(ctx), key) } };
  ctx.status = 503;
  ctx.set('Retry-After', '5');
  ctx.body = body;
}

function verify(ctx: Koa.Context, deps: StripeRouteDeps, raw: Buffer): Stripe.Event {
  const header = ctx.get('stripe-signature');
  if (!header) throw refuse(ctx, 'webhook.no_signature');
  const webhooks = deps.stripe?.webhooks ?? Stripe.webhooks;
  let event: Stripe.Event;
  try {
    event = webhooks.constructEvent(raw, header, deps.webhookSecret, deps.toleranceSecs ?? 300);
  } catch (err) {
    if (err instanceof Stripe.errors.StripeSignatureVerificationError) {
      const stale = /tolerance/i.test(err.message);
      deps.log.warn('stripe webhook refused', { problem: stale ? 'stale' : 'bad_signature' });
      throw refuse(ctx, stale ? 'webhook.stale' : 'webhook.bad_signature');
    }
    throw refuse(ctx, 'webhook.bad_body');
  }
  const shaped = event as Partial<Stripe.Event> | null;
  if (typeof shaped?.id !== 'string' || typeof shaped.type !== 'string' || typeof shaped.data?.object !== 'object' || shaped.data.object === null) {
    throw refuse(ctx, 'webhook.bad_body');
  }
  return event;
}

/**
 * Stripe's side of the app: the signed webhook (`POST /webhooks/stripe`) and Checkout's
 * success and cancel redirects. The redirect is a backstop for a late or lost webhook and
 * trusts nothing from the browser: it asks Stripe for the session and the payment.
 */
export function createStripeRoutes(deps: StripeRouteDeps): Router {
  const log = deps.log.child({ route: 'stripe' });
  const checkDeps: PaymentCheckDeps = { db: deps.db, payments: deps.payments, signals: deps.signals, log };
  const statusPage = (faxId: string): string => `${deps.publicBaseUrl.replace(/\/+$/, '')}/faxes/${faxId}`;
  const router = new Router();

  router.post('/webhooks/stripe', async (ctx) => {
    const raw = await readStripeBody(ctx.req);
    const event = verify(ctx, deps, raw);
    const result = await processStripeEvent(checkDeps, event);
    if (result.status === 503) return unavailable(ctx, 'error.unavailable');
    ctx.body = { received: true, outcome: result.outcome };
  });

  router.get('/checkout/:faxId/success', async (ctx) => {
    const { faxId } = ctx.params;
    if (!UUID.test(faxId)) throw new HttpProblem(404, 'not_found');
    const sessionId = typeof ctx.query.session_id === 'string' ? ctx.query.session_id : '';
    const fax = await deps.db.getRepository(Fax).findOne({ select: ['id', 'locale'], where: { id: faxId } });
    if (!fax) throw new HttpProblem(404, 'not_found');
    (ctx.state as { locale?: string }).locale = fax.locale;
    if (!SESSION_ID.test(sessionId)) throw refuse(ctx, 'redirect.bad_session');

    let result;
    try {
      result = await checkPayment(checkDeps, faxId, sessionId, 'redirect');
    } catch (err) {
      if (err instanceof PaymentError && err.kind === 'not_found') throw new HttpProblem(404, 'not_found');
      // The webhook will still arrive; the sender is told to look again shortly.
      log.warn('could not confirm a checkout on redirect', { faxId, err });
      return unavailable(ctx, 'payments.confirm_later');
    }
    if (result.kind === 'unknown_fax' || result.kind === 'foreign') throw new HttpProblem(404, 'not_found');
    if (result.kind === 'released' && result.why === 'amount_mismatch') throw new HttpProblem(409, 'payment_amount_mismatch');
    ctx.status = 303;
    ctx.redirect(statusPage(faxId));
  });

  router.get('/checkout/:faxId/cancel', async (ctx) => {
    const { faxId } = ctx.params;
    if (!UUID.test(faxId)) throw new HttpProblem(404, 'not_found');
    ctx.status = 303;
    ctx.redirect(statusPage(faxId));
  });

  return router;
}
