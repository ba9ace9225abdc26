import { ConfigError, loadConfig, loadTemporalConfig } from '../../src/config/config';
import { parseDuration } from '../../src/config/duration';

const PRODUCTION = {
  NODE_ENV: 'production',
  DATABASE_URL: 'postgres://u:p@db/durafax',
  TEMPORAL_ADDRESS: 'temporal:7233',
  PUBLIC_BASE_URL: 'https://fax.example.org',
  APP_SECRET: 'x'.repeat(40),
  STRIPE_SECRET_KEY: 'sk_live_abc',
  STRIPE_WEBHOOK_SECRET: 'whsec_abc',
  TELNYX_API_KEY: 'KEY123',
  TELNYX_CONNECTION_ID: '123',
  TELNYX_PUBLIC_KEY: 'a1wrR1MonmiaAiI2j97liVJc4wNQNh8jTkGFHyYq7Fg=',
  FAX_FROM_NUMBER: '+4930123456',
  OPERATOR_NAME: 'Example Fax GmbH',
  OPERATOR_ADDRESS: 'Musterstraße 1|10115 Berlin|Germany',
  OPERATOR_EMAIL: 'help@example.org',
};

function problems(role: 'web' | 'worker' | 'migrate', env: Record<string, string>): string[] {
  try {
    loadConfig(role, env);
    return [];
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
}

test('a complete production environment loads for every role', () => {
  for (const role of ['web', 'worker', 'migrate'] as const) expect(problems(role, PRODUCTION)).toEqual([]);
  const config = loadConfig('web', PRODUCTION);
  expect(config.sandbox).toBe(false);
  expect(config.temporal).toMatchObject({ address: 'temporal:7233', namespace: 'default', taskQueue: 'durafax-fax' });
  expect(config.policy).toMatchObject({ paymentWindowMs: 3_600_000, maxTransmissions: 3, retryDelayMs: 300_000, retentionMs: 7 * 86_400_000 });
  expect(config.cachedWorkflows).toBe(40);
  expect(loadConfig('worker', { ...PRODUCTION, WORKER_CACHED_WORKFLOWS: '250' }).cachedWorkflows).toBe(250);
});

test('missing provider keys stop start-up outside sandbox mode, each named', () => {
  const { STRIPE_SECRET_KEY: _s, TELNYX_API_KEY: _t, APP_SECRET: _a, ...rest } = PRODUCTION;
  const list = problems('worker', rest);
  expect(list).toEqual(expect.arrayContaining(['STRIPE_SECRET_KEY is required', 'TELNYX_API_KEY is required', 'APP_SECRET is required']));
  expect(() => loadConfig('worker', rest)).toThrow(/Durafax cannot start; fix these settings:\n {2}- /);
});

test('migrate needs only the database', () => {
  expect(problems('migrate', { DATABASE_URL: 'postgres://x' })).toEqual([]);
  expect(problems('migrate', {})).toEqual(['DATABASE_URL is required']);
});

test('durafax temporal setup needs only the Temporal settings', () => {
  expect(() => loadTemporalConfig({})).toThrow(/TEMPORAL_ADDRESS is required/);
  expect(loadTemporalConfig({ TEMPORAL_ADDRESS: 'fax.a1b2c.tmprl.cloud:7233', TEMPORAL_NAMESPACE: 'fax.a1b2c', TEMPORAL_API_KEY: 'key' })).toEqual({
    address: 'fax.a1b2c.tmprl.cloud:7233',
    namespace: 'fax.a1b2c',
    taskQueue: 'durafax-fax',
    // An API key implies TLS.
    tls: { clientCertPath: undefined, clientKeyPath: undefined, serverRootCaPath: undefined, serverName: undefined },
    apiKey: 'key',
  });
});

test('sandbox mode fills in the twins, refuses a live key, and still needs the twins’ addresses', () => {
  const sandbox = { DURAFAX_SANDBOX: '1', DATABASE_URL: 'postgres://x', TEMPORAL_ADDRESS: '127.0.0.1:7233' };
  expect(problems('worker', sandbox)).toEqual(['STRIPE_API_BASE is required', 'TELNYX_API_BASE is required']);
  const full = { ...sandbox, STRIPE_API_BASE: 'http://127.0.0.1:12111', TELNYX_API_BASE: 'http://127.0.0.1:12112' };
  expect(loadConfig('worker', full).stripe).toMatchObject({ secretKey: 'sk_test_sandbox', apiBase: 'http://127.0.0.1:12111' });
  expect(problems('worker', { ...full, STRIPE_SECRET_KEY: 'sk_live_real' })).toEqual(['a live Stripe key (sk_live_…) cannot be used in sandbox mode with the offline twins']);
});

test('bad values are explained', () => {
  const list = problems('web', {
    ...PRODUCTION,
    PUBLIC_BASE_URL: 'http://fax.example.org',
    APP_SECRET: 'short',
    MAX_TRANSMISSIONS: '0',
    RETRY_DELAY: 'soon',
    ALLOWED_COUNTRIES: 'DE,Germany',
    LOG_LEVEL: 'loud',
    PAYMENT_WINDOW: '10m',
    TEMPORAL_TLS_CERT: '/etc/cert.pem',
    WORKER_CACHED_WORKFLOWS: 'many',
  });
  expect(list).toEqual(
    expect.arrayContaining([
      'PUBLIC_BASE_URL must use https in production',
      'APP_SECRET must be at least 32 characters',
      'MAX_TRANSMISSIONS must be a whole number ≥ 1 (got "0")',
      'RETRY_DELAY: "soon" is not a duration (examples: 250ms, 90s, 5m, 1h, 7d)',
      'ALLOWED_COUNTRIES: "GERMANY" is not a two-letter country code',
      'LOG_LEVEL must be debug, info, warn or error',
      'PAYMENT_WINDOW must be at least 30m (Stripe Checkout sessions cannot expire sooner)',
      'TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY go together',
      'WORKER_CACHED_WORKFLOWS must be a whole number ≥ 0 (got "many")',
    ]),
  );
});

test('durations', () => {
  expect(parseDuration('250ms')).toBe(250);
  expect(parseDuration('90s')).toBe(90_000);
  expect(parseDuration('1.5h')).toBe(5_400_000);
  expect(parseDuration('7d')).toBe(604_800_000);
  expect(parseDuration('42')).toBe(42);
  expect(() => parseDuration('-1s')).toThrow();
});
