import path from 'node:path';
import { intOption, parseArgs } from '../cli/args';
import { createLogger } from '../log';
import { startCarrierTwin } from './carrier';
import { startMailTwin } from './mail';
import { startStripeTwin } from './stripe';

/** The line the sandbox prints once both twins listen; `durafax start` reads it. */
export interface SandboxReady {
  ready: true;
  stripeUrl: string;
  carrierUrl: string;
  carrierPublicKey: string;
  /** The local SMTP server, for the worker's SMTP_URL. */
  smtpUrl: string;
  /** Where that server keeps what it receives, for the web's sandbox mailbox page. */
  mailDir: string;
}

/**
 * `durafax sandbox`: the offline Stripe and carrier twins and the local mail server in one
 * process, for sandbox mode only. Options: --stripe-port, --carrier-port, --smtp-port,
 * --data-dir, --public-base-url (where the app's webhooks and media live), --ms-per-page.
 * The Stripe webhook secret comes from STRIPE_WEBHOOK_SECRET.
 */
export async function run(argv: string[]): Promise<void> {
  if (process.env.DURAFAX_SANDBOX !== '1') throw new Error('the sandbox twins run only in sandbox mode (DURAFAX_SANDBOX=1)');
  const { options } = parseArgs(argv);
  const log = createLogger('sandbox', (process.env.LOG_LEVEL as 'info' | undefined) ?? 'info');
  const dataDir = path.resolve(typeof options['data-dir'] === 'string' ? options['data-dir'] : '.durafax/twins');
  const appUrl = (typeof options['public-base-url'] === 'string' ? options['public-base-url'] : 'http://localhost:3000').replace(/\/+$/, '');
  const webhookSecret = process.env.STRIPE_WEBHOOK_SECRET;
  if (!webhookSecret) throw new Error('STRIPE_WEBHOOK_SECRET is required');

  const stripe = await startStripeTwin({
    port: intOption(options, 'stripe-port', 12111),
    dataDir: path.join(dataDir, 'stripe'),
    webhookUrl: `${appUrl}/webhooks/stripe`,
    webhookSecret,
    log,
  });
  const carrier = await startCarrierTwin({
    port: intOption(options, 'carrier-port', 12112),
    dataDir: path.join(dataDir, 'carrier'),
    webhookUrl: `${appUrl}/webhooks/telnyx`,
    msPerPage: intOption(options, 'ms-per-page', 2000),
    log,
  });
  const mailDir = path.join(dataDir, 'mail');
  const mail = await startMailTwin({ port: intOption(options, 'smtp-port', 12125), mailDir, log });
  const ready: SandboxReady = { ready: true, stripeUrl: stripe.url, carrierUrl: carrier.url, carrierPublicKey: carrier.publicKey, smtpUrl: mail.url, mailDir };
  process.stdout.write(`${JSON.stringify(ready)}\n`);

  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await Promise.all([stripe.stop(), carrier.stop(), mail.stop()]);
}
