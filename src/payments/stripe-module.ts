import type Stripe from 'stripe';

/**
 * The `stripe` library, loaded at its first use rather than at start-up: a web process that
 * has not yet checked a payment or a webhook does not hold it (about 3 MB). Its CommonJS
 * entry exports the Stripe class itself.
 */
export function stripeLibrary(): typeof Stripe {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('stripe') as typeof Stripe;
}
