import type Stripe from 'stripe';
import type { StripeConfig } from '../config/config';
import { stripeLibrary } from './stripe-module';

/**
 * The Stripe API version Durafax is written against: the one the installed `stripe`
 * library's types describe. Upgrading the library fails the type check here until the new
 * version is reviewed and pinned.
 */
const STRIPE_API_VERSION: Stripe.LatestApiVersion = '2026-10-28.endive';

export interface StripeClientOptions {
  /** Per-request timeout (default 20 s). */
  timeoutMs?: number;
  /** Automatic retries of network errors, 409 and 5xx, with the same idempotency key (default 2). */
  maxNetworkRetries?: number;
}

/**
 * The official client, pointed at real Stripe, or in sandbox mode (`apiBase` set) at the
 * offline twin through the library's own host/port/protocol options.
 */
export function createStripeClient(config: StripeConfig, opts: StripeClientOptions = {}): Stripe {
  let target: { host: string; port: number; protocol: 'http' | 'https' } | Record<string, never> = {};
  if (config.apiBase) {
    const base = new URL(config.apiBase);
    const protocol = base.protocol === 'https:' ? 'https' : 'http';
    target = { host: base.hostname, port: base.port ? Number(base.port) : protocol === 'https' ? 443 : 80, protocol };
  }
  const StripeClient = stripeLibrary();
  return new StripeClient(config.secretKey, {
    apiVersion: STRIPE_API_VERSION,
    maxNetworkRetries: opts.maxNetworkRetries ?? 2,
    timeout: opts.timeoutMs ?? 20_000,
    telemetry: false,
    appInfo: { name: 'Durafax' },
    ...target,
  });
}
