import type Stripe from 'stripe';
import type { StripeConfig } from '../config/config';
import { silentLogger, type Logger } from '../log';
import { createStripeClient, type StripeClientOptions } from './stripe-client';
import { stripeCode, toPaymentError } from './stripe-errors';
import { FAX_ID_KEY, toIntentInfo, toRefundInfo, toSessionInfo } from './stripe-mapping';
import { PaymentError, type CancelOptions, type CheckoutRequest, type CheckoutSessionInfo, type PaymentIntentInfo, type Payments, type RefundInfo } from './types';

const EXPAND_CHARGE = ['latest_charge'];

/**
 * Payments on the official `stripe` library: Checkout with a manual-capture hold, capture
 * on delivery, release on failure, refund as the fallback. Every mutating call carries an
 * idempotency key derived from the fax id and the step, so retries after a crash are safe.
 */
export class StripePayments implements Payments {
  private client: Stripe | null = null;

  /** `connect` makes the client at the first call, so the library loads when a payment needs it. */
  constructor(
    private readonly connect: () => Stripe,
    private readonly log: Logger = silentLogger,
  ) {}

  private get stripe(): Stripe {
    this.client ??= this.connect();
    return this.client;
  }

  async createCheckoutSession(req: CheckoutRequest): Promise<CheckoutSessionInfo> {
    if (!Number.isInteger(req.amount) || req.amount <= 0) throw new PaymentError('invalid_request', `checkout: amount must be a positive whole number of minor units`);
    if (!/^[a-z]{3}$/i.test(req.currency)) throw new PaymentError('invalid_request', `checkout: currency must be an ISO 4217 code`);
    const params: Stripe.Checkout.SessionCreateParams = {
      mode: 'payment',
      line_items: [{ quantity: 1, price_data: { currency: req.currency.toLowerCase(), unit_amount: req.amount, product_data: { name: req.description } } }],
      payment_intent_data: { capture_method: 'manual', metadata: { [FAX_ID_KEY]: req.faxId } },
      metadata: { [FAX_ID_KEY]: req.faxId },
      client_reference_id: req.faxId,
      success_url: req.successUrl,
      cancel_url: req.cancelUrl,
      locale: req.locale,
      expires_at: Math.floor(req.expiresAt.getTime() / 1000),
      ...(req.customerEmail ? { customer_email: req.customerEmail } : {}),
    };
    const options = { idempotencyKey: `${req.faxId}:checkout` };
    let session: Stripe.Checkout.Session;
    try {
      session = await this.stripe.checkout.sessions.create(params, options);
    } catch (err) {
      // Stripe refuses an `expires_at` under 30 minutes away, and a refused parameter is not
      // stored under the key: retry without it (Stripe's default, 24 h). The workflow expires
      // the session itself at the fax's deadline, so the fax's window still holds.
      const e = toPaymentError(err, 'checkout');
      if (e.kind !== 'invalid_request' || (err as { param?: string }).param !== 'expires_at') throw e;
      this.log.warn('checkout session expiry refused; using the provider default', { faxId: req.faxId });
      const { expires_at: _dropped, ...rest } = params;
      session = await this.call('checkout', () => this.stripe.checkout.sessions.create(rest, options));
    }
    this.log.info('checkout session created', { faxId: req.faxId, sessionId: session.id });
    return toSessionInfo(session);
  }

  async retrieveCheckoutSession(sessionId: string): Promise<CheckoutSessionInfo> {
    return toSessionInfo(await this.call('retrieve checkout session', () => this.stripe.checkout.sessions.retrieve(sessionId)));
  }

  async expireCheckoutSession(faxId: string, sessionId: string): Promise<CheckoutSessionInfo> {
    try {
      const session = await this.stripe.checkout.sessions.expire(sessionId, {}, { idempotencyKey: `${faxId}:expire:${sessionId}` });
      this.log.info('checkout session expired', { faxId, sessionId });
      return toSessionInfo(session);
    } catch (err) {
      const e = toPaymentError(err, 'expire checkout session');
      if (e.kind !== 'invalid_request') throw e;
      // Already expired or already paid: the session's state is the answer.
      return this.retrieveCheckoutSession(sessionId);
    }
  }

  async retrievePaymentIntent(paymentIntentId: string): Promise<PaymentIntentInfo> {
    return toIntentInfo(await this.call('retrieve payment intent', () => this.stripe.paymentIntents.retrieve(paymentIntentId, { expand: EXPAND_CHARGE })));
  }

  async capture(faxId: string, paymentIntentId: string): Promise<PaymentIntentInfo> {
    try {
      const pi = await this.stripe.paymentIntents.capture(paymentIntentId, { expand: EXPAND_CHARGE }, { idempotencyKey: `${faxId}:capture` });
      this.log.info('payment captured', { faxId, paymentIntentId, amount: pi.amount_received });
      return toIntentInfo(pi);
    } catch (err) {
      if (stripeCode(err) !== 'payment_intent_unexpected_state') throw toPaymentError(err, 'capture');
      const pi = await this.retrievePaymentIntent(paymentIntentId);
      if (pi.status === 'succeeded') return pi;
      if (pi.status === 'canceled') {
        const kind = pi.cancellationReason === 'automatic' ? 'hold_expired' : 'already_cancelled';
        throw new PaymentError(kind, `capture: the payment intent was cancelled (${pi.cancellationReason ?? 'no reason'})`, 'payment_intent_unexpected_state');
      }
      throw new PaymentError('invalid_request', `capture: the payment intent is ${pi.status}, not authorized`, 'payment_intent_unexpected_state');
    }
  }

  async cancel(faxId: string, paymentIntentId: string, opts: CancelOptions = {}): Promise<PaymentIntentInfo> {
    // One key per request: the web releases a stray hold with a reason, the workflow without one;
    // under one key the second would be an idempotency error (other parameters), under its own it
    // finds the hold already released, which is success.
    const key = (opts.stray ? `${faxId}:release:${paymentIntentId}` : `${faxId}:release`) + (opts.reason ? `:${opts.reason}` : '');
    const params: Stripe.PaymentIntentCancelParams = { expand: EXPAND_CHARGE, ...(opts.reason ? { cancellation_reason: opts.reason } : {}) };
    try {
      const pi = await this.stripe.paymentIntents.cancel(paymentIntentId, params, { idempotencyKey: key });
      this.log.info('payment hold released', { faxId, paymentIntentId, stray: Boolean(opts.stray) });
      return toIntentInfo(pi);
    } catch (err) {
      if (stripeCode(err) !== 'payment_intent_unexpected_state') throw toPaymentError(err, 'release');
      const pi = await this.retrievePaymentIntent(paymentIntentId);
      if (pi.status === 'canceled') return pi;
      if (pi.status === 'succeeded') throw new PaymentError('already_captured', 'release: the payment was already captured', 'payment_intent_unexpected_state');
      throw new PaymentError('invalid_request', `release: the payment intent is ${pi.status}`, 'payment_intent_unexpected_state');
    }
  }

  async refund(faxId: string, paymentIntentId: string): Promise<RefundInfo> {
    try {
      const refund = await this.stripe.refunds.create({ payment_intent: paymentIntentId, metadata: { [FAX_ID_KEY]: faxId } }, { idempotencyKey: `${faxId}:refund` });
      this.log.info('payment refunded', { faxId, paymentIntentId, refundId: refund.id, status: refund.status });
      return toRefundInfo(refund);
    } catch (err) {
      const code = stripeCode(err);
      if (code === 'charge_already_refunded') return this.existingRefund(faxId, paymentIntentId, toPaymentError(err, 'refund'));
      if (code !== 'payment_intent_unexpected_state') throw toPaymentError(err, 'refund');
      const pi = await this.retrievePaymentIntent(paymentIntentId);
      if (pi.status === 'canceled') throw new PaymentError('already_cancelled', 'refund: the hold was released, nothing was captured', code);
      throw new PaymentError('invalid_request', `refund: the payment intent is ${pi.status}, not captured`, code);
    }
  }

  /** A payment refunded in full already (e.g. by support in the dashboard): that refund is the answer. */
  private async existingRefund(faxId: string, paymentIntentId: string, original: PaymentError): Promise<RefundInfo> {
    const list = await this.call('list refunds', () => this.stripe.refunds.list({ payment_intent: paymentIntentId, limit: 100 }));
    const done = list.data.filter((r) => r.status === 'succeeded' || r.status === 'pending');
    if (done.length === 0) throw original;
    this.log.info('payment was already refunded', { faxId, paymentIntentId, refundId: done[0].id });
    return toRefundInfo(done[0]);
  }

  private async call<T>(action: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw toPaymentError(err, action);
    }
  }
}

export interface CreatePaymentsOptions extends StripeClientOptions {
  log?: Logger;
  /** A ready client (tests); otherwise one is built from the configuration. */
  stripe?: Stripe;
}

/** Builds the payments adapter for one process (the web and the worker each build one). */
export function createPayments(config: StripeConfig, opts: CreatePaymentsOptions = {}): StripePayments {
  const { stripe } = opts;
  return new StripePayments(stripe ? () => stripe : () => createStripeClient(config, opts), opts.log ?? silentLogger);
}
