import path from 'node:path';
import { intOption, parseArgs } from '../cli/args';
import { createLogger, type Logger } from '../log';
import { startCarrierTwin } from './carrier';
import { startMailTwin } from './mail';
import { startStripeTwin } from './stripe';

/** Where the twins listen: `durafax sandbox` prints it as a line once they do. */
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

export interface SandboxOptions {
  stripePort: number;
  carrierPort: number;
  smtpPort: number;
  /** The twins' journals and the mail folder live under it. */
  dataDir: string;
  /** Where the app's webhooks and media live. */
  appUrl: string;
  /** The carrier's transmission time per page. */
  msPerPage: number;
  webhookSecret: string;
  log: Logger;
}

export interface RunningSandbox {
  ready: SandboxReady;
  stop(): Promise<void>;
}

/** The Stripe and carrier twins and the mail server, listening; `durafax start` runs them in its own process. */
export async function startSandbox(opts: SandboxOptions): Promise<RunningSandbox> {
  const { log } = opts;
  const stripe = await startStripeTwin({
    port: opts.stripePort,
    dataDir: path.join(opts.dataDir, 'stripe'),
    webhookUrl: `${opts.appUrl}/webhooks/stripe`,
    webhookSecret: opts.webhookSecret,
    log,
  });
  const carrier = await startCarrierTwin({
    port: opts.carrierPort,
    dataDir: path.join(opts.dataDir, 'carrier'),
    webhookUrl: `${opts.appUrl}/webhooks/telnyx`,
    msPerPage: opts.msPerPage,
    log,
  });
  const mailDir = path.join(opts.dataDir, 'mail');
  const mail = await startMailTwin({ port: opts.smtpPort, mailDir, log });
  return {
    ready: { ready: true, stripeUrl: stripe.url, carrierUrl: carrier.url, carrierPublicKey: carrier.publicKey, smtpUrl: mail.url, mailDir },
    stop: async () => {
      await Promise.all([stripe.stop(), carrier.stop(), mail.stop()]);
    },
  };
}

/**
 * `durafax sandbox`: the offline Stripe and carrier twins and the local mail server in one
 * process, for sandbox mode only. Options: --stripe-port, --carrier-port, --smtp-port,
 * --data-dir, --public-base-url (where the app's webhooks and media live), --ms-per-page.
 * The Stripe webhook secret comes from STRIPE_WEBHOOK_SECRET. Prints the ready line once
 * everything listens.
 */
export async function run(argv: string[]): Promise<void> {
  if (process.env.DURAFAX_SANDBOX !== '1') throw new Error('the sandbox twins run only in sandbox mode (DURAFAX_SANDBOX=1)');
  const { options } = parseArgs(argv);
  const webhookSecret = process.env.STRIPE_WEBHOOK_SECRET;
  if (!webhookSecret) throw new Error('STRIPE_WEBHOOK_SECRET is required');
  const sandbox = await startSandbox({
    stripePort: intOption(options, 'stripe-port', 12111),
    carrierPort: intOption(options, 'carrier-port', 12112),
    smtpPort: intOption(options, 'smtp-port', 12125),
    dataDir: path.resolve(typeof options['data-dir'] === 'string' ? options['data-dir'] : '.durafax/twins'),
    appUrl: (typeof options['public-base-url'] === 'string' ? options['public-base-url'] : 'http://localhost:3000').replace(/\/+$/, ''),
    msPerPage: intOption(options, 'ms-per-page', 2000),
    webhookSecret,
    log: createLogger('sandbox', (process.env.LOG_LEVEL as 'info' | undefined) ?? 'info'),
  });
  process.stdout.write(`${JSON.stringify(sandbox.ready)}\n`);

  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await sandbox.stop();
}
