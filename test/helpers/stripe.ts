import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type Router from '@koa/router';
import type { DataSource } from 'typeorm';
import type { CarrierEvent } from '../../src/carrier/types';
import { Fax } from '../../src/db/entities/fax';
import type { FaxStatus } from '../../src/domain/status';
import { silentLogger } from '../../src/log';
import { createPayments, type StripePayments } from '../../src/payments/stripe-payments';
import type { CheckoutRequest } from '../../src/payments/types';
import { startStripeTwin, type StripeTwin, type StripeTwinOptions } from '../../src/twins/stripe';
import { createAppFrame } from '../../src/web/app';
import type { PaymentAuthorized } from '../../src/workflows/contract';
import type { FaxSignals, SignalOutcome } from '../../src/web/fax-signals';

export const WEBHOOK_SECRET = 'whsec_test_secret';

export interface TwinWithPayments {
  twin: StripeTwin;
  payments: StripePayments;
}

/** A twin on a free port and the real adapter pointed at it. */
export async function twinWithPayments(opts: Partial<StripeTwinOptions> = {}, secretKey = 'sk_test_durafax'): Promise<TwinWithPayments> {
  const twin = await startStripeTwin({ port: 0, webhookSecret: WEBHOOK_SECRET, log: silentLogger, ...opts });
  const payments = createPayments({ secretKey, webhookSecret: WEBHOOK_SECRET, apiBase: twin.url }, { maxNetworkRetries: 1, timeoutMs: 5000 });
  return { twin, payments };
}

export function checkoutRequest(faxId: string, overrides: Partial<CheckoutRequest> = {}): CheckoutRequest {
  return {
    faxId,
    amount: 257,
    currency: 'eur',
    locale: 'en',
    description: 'Fax to +49 30 1234 5678, 2 pages',
    successUrl: `http://127.0.0.1:9/checkout/${faxId}/success?session_id={CHECKOUT_SESSION_ID}`,
    cancelUrl: `http://127.0.0.1:9/checkout/${faxId}/cancel`,
    expiresAt: new Date(Date.now() + 3600_000),
    ...overrides,
  };
}

export const CARDS = {
  visa: '4242 4242 4242 4242',
  declined: '4000 0000 0000 0002',
  insufficientFunds: '4000 0000 0000 9995',
  authenticate: '4000 0025 0000 3155',
  refundFails: '4000 0000 0000 5126',
};

export interface PageResult {
  status: number;
  location: string | null;
  html: string;
}

/** A browser session on the hosted checkout page: keeps the CSRF cookie, reads the form token. */
export class CheckoutBrowser {
  private cookie = '';

  constructor(private readonly acceptLanguage = 'en') {}

  private remember(res: Response): void {
    const set = res.headers.get('set-cookie');
    if (set) this.cookie = set.split(';')[0];
  }

  async get(url: string): Promise<PageResult> {
    const res = await fetch(url, { redirect: 'manual', headers: { cookie: this.cookie, 'accept-language': this.acceptLanguage } });
    this.remember(res);
    return { status: res.status, location: res.headers.get('location'), html: await res.text() };
  }

  async post(url: string, fields: Record<string, string>): Promise<PageResult> {
    const res = await fetch(url, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie: this.cookie, 'content-type': 'application/x-www-form-urlencoded', 'accept-language': this.acceptLanguage },
      body: new URLSearchParams(fields).toString(),
    });
    this.remember(res);
    return { status: res.status, location: res.headers.get('location'), html: await res.text() };
  }

  /** Opens the page, fills in the card, submits. */
  async pay(sessionUrl: string, card: string, expiry = '12 / 34', cvc = '123'): Promise<PageResult> {
    const page = await this.get(sessionUrl);
    if (page.status !== 200) return page;
    return this.post(new URL(formAction(page.html), sessionUrl).toString(), { csrf: csrfOf(page.html), card_number: card, card_expiry: expiry, card_cvc: cvc });
  }

  /** Answers the authentication page of a 3-D Secure card. */
  async authenticate(pageUrl: string, action: 'complete' | 'fail'): Promise<PageResult> {
    const page = await this.get(pageUrl);
    if (page.status !== 200) return page;
    return this.post(new URL(formAction(page.html), pageUrl).toString(), { csrf: csrfOf(page.html), action });
  }
}

export function csrfOf(html: string): string {
  const m = /name="csrf" value="([^"]+)"/.exec(html);
  if (!m) throw new Error('no CSRF token on the page');
  return m[1];
}

export function formAction(html: string): string {
  const m = /<form method="post" action="([^"]+)"/.exec(html);
  if (!m) throw new Error('no form on the page');
  return m[1];
}

/** The message the page shows for a decline or a bad card, if any. */
export function pageError(html: string): { code: string; message: string } | null {
  const m = /<div class="error" role="alert" data-code="([^"]*)">([^<]*)<\/div>/.exec(html);
  return m ? { code: m[1], message: m[2] } : null;
}

/** The workflow side of the web tier: records every signal and answers as told. */
export class RecordingSignals implements FaxSignals {
  readonly payments: Array<{ faxId: string; signal: PaymentAuthorized }> = [];
  /** What the next signals answer; a thrown error simulates Temporal being unreachable. */
  outcome: SignalOutcome | Error = 'delivered';

  async paymentAuthorized(faxId: string, signal: PaymentAuthorized): Promise<SignalOutcome> {
    if (this.outcome instanceof Error) throw this.outcome;
    this.payments.push({ faxId, signal });
    return this.outcome;
  }

  async carrierEvent(_faxId: string, _event: CarrierEvent): Promise<SignalOutcome> {
    throw new Error('carrier events are not part of these tests');
  }
}

export async function insertFax(db: DataSource, overrides: Partial<Fax> = {}): Promise<Fax> {
  const id = overrides.id ?? randomUUID();
  const status: FaxStatus = overrides.status ?? 'awaiting_payment';
  await db.getRepository(Fax).insert({
    id,
    tokenHash: 'b'.repeat(64),
    status,
    toNumber: '+493012345678',
    country: 'DE',
    locale: 'en',
    pages: 2,
    priceAmount: 257,
    currency: 'eur',
    workflowId: `fax-${id}`,
    ...overrides,
  });
  return db.getRepository(Fax).findOneByOrFail({ id });
}

export interface RunningApp {
  url: string;
  stop(): Promise<void>;
}

/** Serves a router behind the app's error middleware on a loopback port (a free one by default). */
export async function serve(router: Router, port = 0): Promise<RunningApp> {
  const app = createAppFrame(silentLogger);
  app.use(router.routes()).use(router.allowedMethods());
  const server = http.createServer(app.callback());
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const addr = server.address();
  return {
    url: `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Polls until `check` passes or the time is up (for effects of asynchronous webhooks). */
export async function eventually<T>(check: () => Promise<T> | T, timeoutMs = 5000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (err) {
      if (Date.now() > until) throw err;
      await new Promise((r) => setTimeout(r, 25));
    }
  }
}
