import os from 'node:os';
import path from 'node:path';
import type { PriceTable } from '../domain/pricing';
import { parseDuration } from './duration';
import { parsePrices, priceTable } from './prices';
import { parseRateLimits, type RateKind, type RateRule } from './rate-limits';
import { parseSupportUsers, type SupportUser } from '../support/users';

/** Which process reads the configuration: each needs a different set of settings. */
export type Role = 'web' | 'worker' | 'migrate' | 'ui';

export interface TemporalConfig {
  address: string;
  namespace: string;
  taskQueue: string;
  /** PEM client certificate and key for mTLS (Temporal Cloud or a secured cluster). */
  tls?: { clientCertPath?: string; clientKeyPath?: string; serverRootCaPath?: string; serverName?: string };
  apiKey?: string;
}

export interface StripeConfig {
  secretKey: string;
  webhookSecret: string;
  /** Only set in sandbox mode: where the offline Stripe twin listens. */
  apiBase?: string;
}

export interface CarrierConfig {
  apiKey: string;
  connectionId: string;
  /** Base64 Ed25519 public key that signs carrier webhooks. */
  publicKey: string;
  fromNumber: string;
  /** Only set in sandbox mode: where the offline carrier twin listens. */
  apiBase?: string;
}

export interface FaxPolicy {
  paymentWindowMs: number;
  maxTransmissions: number;
  retryDelayMs: number;
  retentionMs: number;
  /** How often the workflow polls the carrier when no webhook arrives. */
  statusPollMs: number;
  /** Capture this long before a card hold lapses when the fax is not final yet. */
  captureMarginMs: number;
  /** The price of a fax per destination country, in minor units (cents). */
  prices: PriceTable;
}

export interface Limits {
  maxUploadBytes: number;
  maxPages: number;
}

/** The web tier: where it listens, and how much of its time and memory one client may take. */
export interface WebConfig {
  host: string;
  port: number;
  publicBaseUrl: string;
  /** Uploads read at once by one web process; more are answered 503 with Retry-After. */
  maxConcurrentUploads: number;
  /** The longest a request may take to arrive whole: enough for the largest upload on a slow line. */
  requestTimeoutMs: number;
  /** The longest pause within an upload's body before it is given up (408). */
  uploadIdleMs: number;
  /** How long a request waits for PostgreSQL or Temporal before it answers 503. */
  dependencyTimeoutMs: number;
}

export interface Config {
  sandbox: boolean;
  production: boolean;
  dataDir: string;
  web: WebConfig;
  /** The Temporal UI server (`durafax ui`); outside sandbox mode it asks for the operator token. */
  ui: { host: string; port: number; operatorToken?: string };
  databaseUrl: string;
  temporal: TemporalConfig;
  stripe: StripeConfig;
  carrier: CarrierConfig;
  /** Signs media links and cookies; at least 32 characters outside sandbox mode. */
  appSecret: string;
  policy: FaxPolicy;
  limits: Limits;
  allowedCountries: string[];
  /** Who runs this service: the imprint, the terms and the emails name them. */
  operator: Operator;
  email: EmailConfig;
  /** Actions per client (or per destination number) and window, shared by every web process. */
  rateLimits: Record<RateKind, RateRule>;
  support: SupportConfig;
  metrics: MetricsConfig;
  /** How many workflows a worker keeps in its cache (WORKER_CACHED_WORKFLOWS); one evicted is replayed from its history when it next has work. */
  cachedWorkflows: number;
  /** How many documents a worker converts at once (MAX_CONCURRENT_CONVERSIONS, default one per core); the others wait their turn. */
  conversionsAtOnce: number;
  /** When the daily reconciliation with Stripe and the carrier runs; null: never (its schedule is removed). */
  reconcileAt: DailyTime | null;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
}

/** A time of day on a time zone's wall clock. */
export interface DailyTime {
  hour: number;
  minute: number;
  /** IANA time zone name. */
  timeZone: string;
}

/** `RECONCILE_AT`: `HH:MM`, optionally followed by an IANA time zone (UTC otherwise), or `off`. */
export function parseDailyTime(raw: string): DailyTime | null | Error {
  const value = raw.trim();
  if (value.toLowerCase() === 'off') return null;
  const m = /^(\d{1,2}):(\d{2})(?:\s+(\S+))?$/.exec(value);
  if (!m || Number(m[1]) > 23 || Number(m[2]) > 59) return new Error(`must be HH:MM with an optional time zone ("03:30", "03:30 Europe/Berlin") or "off" (got "${value}")`);
  const timeZone = m[3] ?? 'UTC';
  try {
    new Intl.DateTimeFormat('en', { timeZone });
  } catch {
    return new Error(`"${timeZone}" is not a time zone name`);
  }
  return { hour: Number(m[1]), minute: Number(m[2]), timeZone };
}

/**
 * A fax is busy for minutes, then waits out its retention for days: the worker's cache need hold
 * only the faxes in flight, and a retained one is replayed from its history (~60 events,
 * milliseconds) when its purge comes. 600 faxes in a row, 8 at a time: with 40 the worker held
 * 240 MB 75 s after the last, with 250 it held 307 MB, at the same CPU per fax
 * (bench/README.md, memory after many faxes).
 */
export const DEFAULT_CACHED_WORKFLOWS = 40;

/** Where Prometheus reads each process's metrics. */
export interface MetricsConfig {
  /** Bearer token for the web's `/metrics`; without one it answers in sandbox mode only. */
  token: string | null;
  /** The worker's own metrics server (`/metrics`); null: none. */
  workerPort: number | null;
  workerHost: string;
}

/** Support staff: who may sign in to the support pages (and the Temporal UI), and where that UI is. */
export interface SupportConfig {
  /** From SUPPORT_USERS (names and scrypt hashes, made by `durafax support-user add`). */
  users: SupportUser[];
  /** Base URL of the Temporal UI, for a link from each fax to its workflow; null: no links. */
  temporalUiUrl: string | null;
  /** Domain of the support session cookie, when the Temporal UI runs on another host of the same site. */
  cookieDomain: string | null;
}

/** Emails to senders (the status link, the receipt), sent by the worker's relay. */
export interface EmailConfig {
  /** `smtp://` or `smtps://` URL of the relay server; null: no email is sent or queued. */
  smtpUrl: string | null;
  /** The From header. */
  from: string;
  /** Sandbox mode only: the folder where the local SMTP server keeps what it receives (the web lists it). */
  sandboxMailDir: string | null;
}

export interface Operator {
  name: string;
  /** Postal address, lines separated by `|` in OPERATOR_ADDRESS. */
  address: string[];
  email: string;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Durafax cannot start; fix these settings:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** The destination countries served by default (ISO 3166-1 alpha-2). */
export const DEFAULT_COUNTRIES = [
  'AT',
  'AU',
  'BE',
  'BG',
  'BR',
  'CA',
  'CH',
  'CL',
  'CY',
  'CZ',
  'DE',
  'DK',
  'EE',
  'ES',
  'FI',
  'FR',
  'GB',
  'GR',
  'HK',
  'HR',
  'HU',
  'IE',
  'IL',
  'IS',
  'IT',
  'JP',
  'KR',
  'LI',
  'LT',
  'LU',
  'LV',
  'MC',
  'MT',
  'MX',
  'NL',
  'NO',
  'NZ',
  'PL',
  'PT',
  'RO',
  'SE',
  'SG',
  'SI',
  'SK',
  'TW',
  'US',
  'ZA',
  'AR',
  'CO',
  'PR',
];

type Env = Record<string, string | undefined>;

function hostOf(url: string): string | null {
  try {
    return new URL(url).hostname || null;
  } catch {
    return null;
  }
}

/**
 * Reads and validates the configuration for one process role. Every problem is collected so
 * an operator sees the whole list at once. Sandbox mode (DURAFAX_SANDBOX=1) fills in the
 * offline twins' settings; outside it, a missing provider key stops start-up.
 */
export function loadConfig(role: Role, env: Env = process.env): Config {
  const problems: string[] = [];
  const sandbox = env.DURAFAX_SANDBOX === '1';
  const production = env.NODE_ENV === 'production';

  const str = (name: string, required: boolean, fallback?: string): string => {
    const value = env[name]?.trim();
    if (value) return value;
    if (fallback) return fallback;
    if (required) problems.push(`${name} is required`);
    return '';
  };
  const int = (name: string, fallback: number, min = 0): number => {
    const raw = env[name]?.trim();
    if (!raw) return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min) {
      problems.push(`${name} must be a whole number ≥ ${min} (got "${raw}")`);
      return fallback;
    }
    return value;
  };
  const duration = (name: string, fallback: string): number => {
    try {
      return parseDuration(env[name]?.trim() || fallback);
    } catch (err) {
      problems.push(`${name}: ${(err as Error).message}`);
      return parseDuration(fallback);
    }
  };

  const needsWeb = role === 'web';
  const needsProviders = role === 'web' || role === 'worker';
  const needsTemporal = role === 'web' || role === 'worker' || role === 'ui';

  const port = int('PORT', 3000, 1);
  const host = str('HOST', false, '127.0.0.1');
  const publicBaseUrl = str('PUBLIC_BASE_URL', needsWeb && !sandbox, `http://localhost:${port}`).replace(/\/+$/, '');
  if (publicBaseUrl && !/^https?:\/\//.test(publicBaseUrl)) problems.push('PUBLIC_BASE_URL must start with http:// or https://');
  if (production && !sandbox && publicBaseUrl.startsWith('http://')) problems.push('PUBLIC_BASE_URL must use https in production');

  const databaseUrl = str('DATABASE_URL', role !== 'ui');

  const uiPort = int('UI_PORT', 8233, 1);
  const supportUsers = parseSupportUsers(env.SUPPORT_USERS);
  problems.push(...supportUsers.problems);
  const uiOperatorToken = env.UI_OPERATOR_TOKEN?.trim() || undefined;
  // Support staff may sign in to the UI with their support session instead: it is a row in the database.
  const uiBySupportSession = !!databaseUrl && supportUsers.users.length > 0;
  if (role === 'ui' && !sandbox && !uiOperatorToken && !uiBySupportSession)
    problems.push('UI_OPERATOR_TOKEN is required outside sandbox mode (the Temporal UI is for support only)');
  if (uiOperatorToken && uiOperatorToken.length < 32) problems.push('UI_OPERATOR_TOKEN must be at least 32 characters');
  const uiHost = str('UI_HOST', false, '127.0.0.1');
  if (role === 'ui' && sandbox && !['127.0.0.1', 'localhost', '::1'].includes(uiHost))
    problems.push('UI_HOST must be a loopback address in sandbox mode, where the Temporal UI needs no login');

  const temporal = temporalSettings(env, needsTemporal, problems);

  const stripeSecretKey = str('STRIPE_SECRET_KEY', needsProviders && !sandbox, sandbox ? 'sk_test_sandbox' : '');
  const stripeApiBase = sandbox ? str('STRIPE_API_BASE', needsProviders) : undefined;
  if (sandbox && stripeSecretKey.startsWith('sk_live_')) {
    problems.push('a live Stripe key (sk_live_…) cannot be used in sandbox mode with the offline twins');
  }
  const carrierApiBase = sandbox ? str('TELNYX_API_BASE', needsProviders) : undefined;

  const appSecret = str('APP_SECRET', needsProviders && !sandbox, sandbox ? 'sandbox-secret-not-for-production-use' : '');
  if (!sandbox && appSecret && appSecret.length < 32) problems.push('APP_SECRET must be at least 32 characters');

  const countries = (env.ALLOWED_COUNTRIES?.trim() ? env.ALLOWED_COUNTRIES.split(',') : DEFAULT_COUNTRIES).map((c) => c.trim().toUpperCase()).filter(Boolean);
  for (const c of countries) if (!/^[A-Z]{2}$/.test(c)) problems.push(`ALLOWED_COUNTRIES: "${c}" is not a two-letter country code`);

  const maxUploadBytes = int('MAX_UPLOAD_BYTES', 20 * 1024 * 1024, 1024);
  const priceOverrides = parsePrices(env.PRICES);
  problems.push(...priceOverrides.problems);
  const rateLimits = parseRateLimits(env.RATE_LIMITS);
  problems.push(...rateLimits.problems);

  // The imprint must name a real operator; the sandbox names itself.
  const operator: Operator = {
    name: str('OPERATOR_NAME', needsWeb && !sandbox, sandbox ? 'Durafax sandbox' : ''),
    address: str('OPERATOR_ADDRESS', needsWeb && !sandbox, sandbox ? 'Sandbox Street 1|10115 Berlin|Germany' : '')
      .split('|')
      .map((l) => l.trim())
      .filter(Boolean),
    email: str('OPERATOR_EMAIL', needsWeb && !sandbox, sandbox ? 'support@sandbox.invalid' : ''),
  };

  const smtpUrl = env.SMTP_URL?.trim() || null;
  if (smtpUrl && !/^smtps?:\/\/[^/]/.test(smtpUrl)) problems.push('SMTP_URL must be an smtp:// or smtps:// URL');
  // The sender's domain is the public site's unless MAIL_FROM names another.
  const mailFrom = str('MAIL_FROM', false, `Durafax <no-reply@${hostOf(publicBaseUrl) ?? 'localhost'}>`);
  if (!/@[^@\s>]+>?$/.test(mailFrom)) problems.push('MAIL_FROM must be an address, optionally with a name: "Durafax <fax@example.com>"');
  const sandboxMailDir = sandbox ? env.SANDBOX_MAIL_DIR?.trim() || null : null;

  // `npm start` serves the Temporal UI on this machine.
  const temporalUiUrl = str('TEMPORAL_UI_URL', false, sandbox ? `http://127.0.0.1:${uiPort}` : '').replace(/\/+$/, '') || null;
  if (temporalUiUrl && !/^https?:\/\//.test(temporalUiUrl)) problems.push('TEMPORAL_UI_URL must start with http:// or https://');

  const reconcileAt = parseDailyTime(env.RECONCILE_AT?.trim() || '03:30');
  if (reconcileAt instanceof Error) problems.push(`RECONCILE_AT ${reconcileAt.message}`);

  const logLevel = (env.LOG_LEVEL?.trim() || 'info') as Config['logLevel'];
  if (!['debug', 'info', 'warn', 'error'].includes(logLevel)) problems.push('LOG_LEVEL must be debug, info, warn or error');

  const config: Config = {
    sandbox,
    production,
    dataDir: path.resolve(env.DURAFAX_DATA_DIR?.trim() || '.durafax'),
    web: {
      host,
      port,
      publicBaseUrl,
      maxConcurrentUploads: int('MAX_CONCURRENT_UPLOADS', 8, 1),
      requestTimeoutMs: duration('UPLOAD_TIMEOUT', `${uploadTimeoutSecs(maxUploadBytes)}s`),
      uploadIdleMs: duration('UPLOAD_IDLE_TIMEOUT', '30s'),
      dependencyTimeoutMs: duration('DEPENDENCY_TIMEOUT', '5s'),
    },
    ui: { host: uiHost, port: uiPort, operatorToken: uiOperatorToken },
    databaseUrl,
    temporal,
    stripe: {
      secretKey: stripeSecretKey,
      webhookSecret: str('STRIPE_WEBHOOK_SECRET', needsWeb && !sandbox, sandbox ? 'whsec_sandbox' : ''),
      apiBase: stripeApiBase,
    },
    carrier: {
      apiKey: str('TELNYX_API_KEY', needsProviders && !sandbox, sandbox ? 'KEY_SANDBOX' : ''),
      connectionId: str('TELNYX_CONNECTION_ID', needsProviders && !sandbox, sandbox ? 'sandbox-connection' : ''),
      publicKey: str('TELNYX_PUBLIC_KEY', needsWeb),
      fromNumber: str('FAX_FROM_NUMBER', needsProviders && !sandbox, sandbox ? '+15005550006' : ''),
      apiBase: carrierApiBase,
    },
    appSecret,
    policy: {
      paymentWindowMs: duration('PAYMENT_WINDOW', '1h'),
      maxTransmissions: int('MAX_TRANSMISSIONS', 3, 1),
      retryDelayMs: duration('RETRY_DELAY', '5m'),
      retentionMs: duration('RETENTION', '7d'),
      statusPollMs: duration('STATUS_POLL_INTERVAL', '30s'),
      captureMarginMs: duration('CAPTURE_MARGIN', '1h'),
      prices: priceTable(str('CURRENCY', false, 'eur').toLowerCase(), { base: int('PRICE_BASE', 99, 0), perPage: int('PRICE_PER_PAGE', 79, 0) }, priceOverrides.rates),
    },
    limits: {
      maxUploadBytes,
      maxPages: int('MAX_PAGES', 50, 1),
    },
    allowedCountries: countries,
    operator,
    email: { smtpUrl, from: mailFrom, sandboxMailDir },
    rateLimits: rateLimits.rules,
    support: { users: supportUsers.users, temporalUiUrl, cookieDomain: env.SUPPORT_COOKIE_DOMAIN?.trim() || null },
    metrics: {
      token: env.METRICS_TOKEN?.trim() || null,
      workerPort: env.WORKER_METRICS_PORT?.trim() ? int('WORKER_METRICS_PORT', 0, 0) : null,
      workerHost: str('WORKER_METRICS_HOST', false, '127.0.0.1'),
    },
    cachedWorkflows: int('WORKER_CACHED_WORKFLOWS', DEFAULT_CACHED_WORKFLOWS, 0),
    conversionsAtOnce: int('MAX_CONCURRENT_CONVERSIONS', os.availableParallelism(), 1),
    reconcileAt: reconcileAt instanceof Error ? null : reconcileAt,
    logLevel,
  };
  if (config.policy.paymentWindowMs < 30 * 60_000 && !sandbox) {
    problems.push('PAYMENT_WINDOW must be at least 30m (Stripe Checkout sessions cannot expire sooner)');
  }
  if (problems.length) throw new ConfigError(problems);
  return config;
}

/** Time for the largest upload at 1 Mbit/s (128 KiB/s), at least a minute. */
function uploadTimeoutSecs(maxUploadBytes: number): number {
  return Math.max(60, Math.ceil(maxUploadBytes / (128 * 1024)));
}

/** The Temporal settings alone: `durafax temporal setup` talks to Temporal and to nothing else. */
export function loadTemporalConfig(env: Env = process.env): TemporalConfig {
  const problems: string[] = [];
  const temporal = temporalSettings(env, true, problems);
  if (problems.length) throw new ConfigError(problems);
  return temporal;
}

function temporalSettings(env: Env, required: boolean, problems: string[]): TemporalConfig {
  const value = (name: string): string | undefined => env[name]?.trim() || undefined;
  const address = value('TEMPORAL_ADDRESS') ?? '';
  if (required && !address) problems.push('TEMPORAL_ADDRESS is required');
  const tlsCert = value('TEMPORAL_TLS_CERT');
  const tlsKey = value('TEMPORAL_TLS_KEY');
  if (Boolean(tlsCert) !== Boolean(tlsKey)) problems.push('TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY go together');
  const apiKey = value('TEMPORAL_API_KEY');
  const tls =
    env.TEMPORAL_TLS === '1' || tlsCert || apiKey
      ? { clientCertPath: tlsCert, clientKeyPath: tlsKey, serverRootCaPath: value('TEMPORAL_TLS_CA'), serverName: value('TEMPORAL_TLS_SERVER_NAME') }
      : undefined;
  return { address, namespace: value('TEMPORAL_NAMESPACE') ?? 'default', taskQueue: value('TEMPORAL_TASK_QUEUE') ?? 'durafax-fax', tls, apiKey };
}
