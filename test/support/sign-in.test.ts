import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { ConfigError, loadConfig } from '../../src/config/config';
import { hashPassword, isPasswordHash, verifyPassword } from '../../src/support/passwords';
import { SupportSignIn } from '../../src/support/sign-in';
import { parseSupportUsers, withSupportUser } from '../../src/support/users';
import { createTestDatabase, type TestDatabase } from '../helpers/db';

const CLI = path.resolve(__dirname, '..', '..', 'dist', 'cli', 'index.js');

test('passwords are kept as scrypt hashes that verify only the right password', async () => {
  const hash = await hashPassword('a long enough password');
  expect(hash).toMatch(/^scrypt\$32768\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
  expect(hash).not.toContain('password');
  expect(isPasswordHash(hash)).toBe(true);
  expect(await verifyPassword('a long enough password', hash)).toBe(true);
  expect(await verifyPassword('a long enough passwort', hash)).toBe(false);
  // Two hashes of one password differ (a salt of their own).
  expect(await hashPassword('a long enough password')).not.toBe(hash);
  expect(await verifyPassword('x', 'scrypt$1$1$1$abc$def')).toBe(false);
});

test('SUPPORT_USERS takes name:hash entries and names every bad one without repeating its value', async () => {
  const hash = await hashPassword('another password 1');
  expect(parseSupportUsers(`alice:${hash}, bob:${hash}`)).toEqual({
    users: [
      { name: 'alice', passwordHash: hash },
      { name: 'bob', passwordHash: hash },
    ],
    problems: [],
  });
  const bad = parseSupportUsers(`carol:hunter2hunter2,sandbox:${hash},Alice:${hash},dave:${hash},dave:${hash}`);
  expect(bad.users.map((u) => u.name)).toEqual(['dave']);
  expect(bad.problems).toHaveLength(4);
  expect(bad.problems.join('\n')).not.toContain('hunter2');
  expect(bad.problems[0]).toContain('durafax support-user add carol');
  expect(() =>
    loadConfig('web', {
      DURAFAX_SANDBOX: '1',
      DATABASE_URL: 'postgres://x',
      TEMPORAL_ADDRESS: 'x:1',
      STRIPE_API_BASE: 'http://x',
      TELNYX_API_BASE: 'http://x',
      TELNYX_PUBLIC_KEY: 'k',
      SUPPORT_USERS: 'carol:plain',
    }),
  ).toThrow(ConfigError);
  expect(withSupportUser(`alice:${hash},bob:${hash}`, { name: 'alice', passwordHash: 'new' })).toBe(`bob:${hash},alice:new`);
});

test('`durafax support-user add NAME` prints SUPPORT_USERS with the new user’s hash, never the password', async () => {
  const existing = `bob:${await hashPassword('bobs password 12')}`;
  const run = spawnSync(process.execPath, [CLI, 'support-user', 'add', 'alice'], {
    input: 'alices password 1\n',
    env: { ...process.env, SUPPORT_USERS: existing },
    encoding: 'utf8',
  });
  expect(run.status).toBe(0);
  expect(run.stdout).not.toContain('alices password');
  const value = /^SUPPORT_USERS='([^']+)'$/m.exec(run.stdout)?.[1] ?? '';
  const { users, problems } = parseSupportUsers(value);
  expect(problems).toEqual([]);
  expect(users.map((u) => u.name)).toEqual(['bob', 'alice']);
  expect(await verifyPassword('alices password 1', users[1].passwordHash)).toBe(true);

  const short = spawnSync(process.execPath, [CLI, 'support-user', 'add', 'alice'], { input: 'short\n', encoding: 'utf8' });
  expect(short.status).toBe(1);
  expect(short.stderr).toContain('at least 12 characters');
  expect(spawnSync(process.execPath, [CLI, 'support-user', 'add', 'Not A Name'], { input: 'alices password 1\n', encoding: 'utf8' }).status).toBe(1);
});

describe('sessions', () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase();
  });
  afterAll(async () => {
    await t.drop();
  });

  test('a session ends after two idle hours, and a lockout window passes', async () => {
    const hash = await hashPassword('carols password 1');
    const signIn = new SupportSignIn(t.db, { users: [{ name: 'carol', passwordHash: hash }], sandbox: false, lockout: { maxFailures: 2, windowMs: 60_000, lockMs: 60_000 } });
    const ok = await signIn.signIn('carol', 'carols password 1');
    if (!ok.ok) throw new Error('sign-in failed');
    expect(await signIn.session(ok.token)).toMatchObject({ username: 'carol' });
    await t.db.query(`UPDATE support_session SET last_seen_at = now() - interval '121 minutes'`);
    expect(await signIn.session(ok.token)).toBeNull();

    expect(await signIn.signIn('carol', 'wrong')).toEqual({ ok: false, reason: 'invalid' });
    // The first failure's window has passed: counting starts again.
    await t.db.query(`UPDATE support_lockout SET first_failure_at = now() - interval '2 minutes'`);
    expect(await signIn.signIn('carol', 'wrong')).toEqual({ ok: false, reason: 'invalid' });
    expect(await signIn.signIn('carol', 'wrong')).toMatchObject({ ok: false, reason: 'locked' });
    // Outside sandbox mode there are no sign-in links.
    await expect(signIn.newLoginLink(60_000)).rejects.toThrow(/sandbox/);
    expect(await signIn.useLoginLink('A'.repeat(43))).toBeNull();
  });
});
