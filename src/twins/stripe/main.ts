import { parseDuration } from '../../config/duration';
import { createLogger } from '../../log';
import { startStripeTwin, type StripeTwin } from './server';

const USAGE = `usage: stripe-twin [--port 12111] [--host 127.0.0.1] [--data-dir DIR] [--webhook-url URL]
                   [--hold-window 7d] [--public-url URL]
Environment: DURAFAX_SANDBOX=1 (required), STRIPE_WEBHOOK_SECRET (default whsec_sandbox).`;

function parseArgs(argv: string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(argv[i]);
    if (!m) throw new Error(`unexpected argument "${argv[i]}"\n${USAGE}`);
    const value = m[2] ?? argv[++i];
    if (value === undefined) throw new Error(`--${m[1]} needs a value\n${USAGE}`);
    out.set(m[1], value);
  }
  return out;
}

/**
 * Runs the twin as its own process until SIGINT/SIGTERM. Refuses to start outside sandbox
 * mode, so a production deployment can never talk to it by mistake.
 */
export async function run(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<StripeTwin> {
  if (env.DURAFAX_SANDBOX !== '1') throw new Error('The Stripe twin runs only in sandbox mode (DURAFAX_SANDBOX=1).');
  const args = parseArgs(argv);
  const known = ['port', 'host', 'data-dir', 'webhook-url', 'hold-window', 'public-url'];
  for (const key of args.keys()) if (!known.includes(key)) throw new Error(`unknown option --${key}\n${USAGE}`);
  const port = Number(args.get('port') ?? '12111');
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be a port number\n${USAGE}`);
  const twin = await startStripeTwin({
    port,
    host: args.get('host'),
    dataDir: args.get('data-dir'),
    webhookUrl: args.get('webhook-url'),
    webhookSecret: env.STRIPE_WEBHOOK_SECRET?.trim() || 'whsec_sandbox',
    holdWindowMs: args.has('hold-window') ? parseDuration(args.get('hold-window') ?? '') : undefined,
    publicUrl: args.get('public-url'),
    log: createLogger('stripe-twin', (env.LOG_LEVEL as 'info' | undefined) ?? 'info'),
  });
  const shutdown = (): void => {
    twin.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
  return twin;
}

if (require.main === module) {
  run(process.argv.slice(2)).catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
