import { ConfigError, loadConfig } from '../../src/config/config';

const WORKER = {
  NODE_ENV: 'production',
  DATABASE_URL: 'postgres://u:p@db/durafax',
  TEMPORAL_ADDRESS: 'temporal:7233',
  PUBLIC_BASE_URL: 'https://fax.example.org',
  APP_SECRET: 'x'.repeat(40),
  STRIPE_SECRET_KEY: 'sk_live_abc',
  TELNYX_API_KEY: 'KEY123',
  TELNYX_CONNECTION_ID: '123',
  FAX_FROM_NUMBER: '+4930123456',
};

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig('worker', env);
    return [];
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
}

test('without SMTP_URL email is off; the sender address defaults to the public site', () => {
  expect(loadConfig('worker', WORKER).email).toEqual({ smtpUrl: null, from: 'Durafax <no-reply@fax.example.org>', sandboxMailDir: null });
});

test('SMTP_URL and MAIL_FROM are taken as given, and checked', () => {
  const email = loadConfig('worker', { ...WORKER, SMTP_URL: 'smtps://user:pass@smtp.example.org:465', MAIL_FROM: 'Fax <fax@example.org>' }).email;
  expect(email).toMatchObject({ smtpUrl: 'smtps://user:pass@smtp.example.org:465', from: 'Fax <fax@example.org>' });
  expect(problems({ ...WORKER, SMTP_URL: 'https://smtp.example.org' })).toEqual(['SMTP_URL must be an smtp:// or smtps:// URL']);
  expect(problems({ ...WORKER, MAIL_FROM: 'Durafax' })).toEqual(['MAIL_FROM must be an address, optionally with a name: "Durafax <fax@example.com>"']);
});

test('the sandbox mailbox folder is read in sandbox mode only', () => {
  expect(loadConfig('worker', { ...WORKER, SANDBOX_MAIL_DIR: '/tmp/mail' }).email.sandboxMailDir).toBeNull();
  const sandbox = {
    DURAFAX_SANDBOX: '1',
    DATABASE_URL: 'postgres://u:p@db/durafax',
    TEMPORAL_ADDRESS: 'temporal:7233',
    STRIPE_API_BASE: 'http://127.0.0.1:12111',
    TELNYX_API_BASE: 'http://127.0.0.1:12112',
  };
  expect(loadConfig('worker', { ...sandbox, SANDBOX_MAIL_DIR: '/tmp/mail' }).email.sandboxMailDir).toBe('/tmp/mail');
});
