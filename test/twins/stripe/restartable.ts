/** A Stripe sandbox on a data folder it can be restarted on, and what a client can read of it. */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type Stripe from 'stripe';
import { silentLogger } from '../../../src/log';
import { freePort } from '../../../src/net';
import { createStripeClient } from '../../../src/payments/stripe-client';
import { createPayments } from '../../../src/payments/stripe-payments';
import { startStripeTwin, type StripeTwin, type StripeTwinOptions } from '../../../src/twins/stripe';
import { CheckoutBrowser, checkoutRequest, WEBHOOK_SECRET } from '../../helpers/stripe';

export const DAY_MS = 24 * 3600_000;
export const JOURNAL = 'stripe-twin.journal';

/** A webhook endpoint that accepts everything. */
export async function acceptingEndpoint(): Promise<{ url: string; stop(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(200).end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** One data folder and port, so the twin can be stopped and started again on the same state. */
export async function restartable(extra: Partial<StripeTwinOptions> = {}) {
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'durafax-stripe-journal-'));
  const port = await freePort();
  const opts: StripeTwinOptions = { port, dataDir, webhookSecret: WEBHOOK_SECRET, log: silentLogger, sweepIntervalMs: 3_600_000, ...extra };
  const config = { secretKey: 'sk_test_journal', webhookSecret: WEBHOOK_SECRET, apiBase: `http://127.0.0.1:${port}` };
  return {
    dataDir,
    file: path.join(dataDir, JOURNAL),
    start: () => startStripeTwin(opts),
    payments: createPayments(config, { maxNetworkRetries: 0, timeoutMs: 10_000 }),
    raw: createStripeClient(config, { maxNetworkRetries: 0 }),
    cleanup: () => fs.rm(dataDir, { recursive: true, force: true }),
  };
}

/** Everything a client can read of the twin's state. */
export async function view(raw: Stripe, twin: StripeTwin, sessionIds: string[]) {
  const events = await raw.events.list({ limit: 100 }).autoPagingToArray({ limit: 10_000 });
  const intents = await raw.paymentIntents.list({ limit: 100 }).autoPagingToArray({ limit: 10_000 });
  const chargeIds = new Set(events.filter((e) => e.data.object.object === 'charge').map((e) => (e.data.object as Stripe.Charge).id));
  return {
    events,
    intents,
    sessions: await Promise.all(sessionIds.map((id) => raw.checkout.sessions.retrieve(id))),
    charges: await Promise.all([...chargeIds].map((id) => raw.charges.retrieve(id))),
    refunds: await raw.refunds.list({ limit: 100 }).autoPagingToArray({ limit: 10_000 }),
    deliveries: events.map((e) => twin.delivery(e.id)),
  };
}

export async function paidSession(payments: ReturnType<typeof createPayments>, card: string): Promise<{ sessionId: string; intentId: string }> {
  const session = await payments.createCheckoutSession(checkoutRequest(randomUUID()));
  const page = await new CheckoutBrowser().pay(session.url!, card);
  expect(page.status).toBe(303);
  return { sessionId: session.id, intentId: (await payments.retrieveCheckoutSession(session.id)).paymentIntentId! };
}
