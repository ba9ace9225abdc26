import { createHash, randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { SupportLockouts, type LockoutRule } from '../db/support-lockouts';
import { SupportLoginLinks } from '../db/support-login-links';
import { SupportSessions, type SupportSession } from '../db/support-sessions';
import { decoyHash, verifyPassword } from './passwords';
import { SANDBOX_SUPPORT_USER, type SupportUser } from './users';

/** The support session cookie, read by the web's support pages and by the Temporal UI. */
export const SUPPORT_COOKIE = 'durafax_support';

/** A session ends 12 hours after sign-in, or after 2 hours without a request. */
export const SESSION_MS = 12 * 3_600_000;
export const IDLE_MS = 2 * 3_600_000;

/** Five wrong passwords within 15 minutes lock the name for 15 minutes. */
export const DEFAULT_LOCKOUT: LockoutRule = { maxFailures: 5, windowMs: 15 * 60_000, lockMs: 15 * 60_000 };

export type SignInResult = { ok: true; username: string; token: string } | { ok: false; reason: 'invalid' } | { ok: false; reason: 'locked'; until: Date };

export interface SignInOptions {
  /** The configured users (SUPPORT_USERS). */
  users: readonly SupportUser[];
  /** In sandbox mode the printed one-time link signs in as the sandbox user. */
  sandbox: boolean;
  lockout?: LockoutRule;
}

const sha256 = (token: string): string => createHash('sha256').update(token).digest('hex');
const newToken = (): string => randomBytes(32).toString('base64url');
/** Tokens are 43 base64url characters; anything else is not looked up. */
const TOKEN = /^[A-Za-z0-9_-]{43}$/;

/**
 * Signing support staff in and out: passwords checked against the configured hashes, a
 * lockout after repeated failures, sessions in PostgreSQL (shared by every web process and
 * the Temporal UI), and the sandbox's one-time links. Cookies are the caller's business.
 */
export class SupportSignIn {
  private readonly sessions: SupportSessions;
  private readonly lockouts: SupportLockouts;
  private readonly links: SupportLoginLinks;
  private readonly lockout: LockoutRule;

  constructor(
    db: DataSource,
    private readonly options: SignInOptions,
  ) {
    this.sessions = new SupportSessions(db);
    this.lockouts = new SupportLockouts(db);
    this.links = new SupportLoginLinks(db);
    this.lockout = options.lockout ?? DEFAULT_LOCKOUT;
  }

  /**
   * Checks a name and password. A locked name is refused before its password is looked at; a
   * wrong password (or an unknown name, which costs the same time) counts towards the lock.
   */
  async signIn(name: string, password: string): Promise<SignInResult> {
    const username = name.trim().toLowerCase().slice(0, 64);
    const until = await this.lockouts.lockedUntil(username);
    if (until) return { ok: false, reason: 'locked', until };
    const user = this.options.users.find((u) => u.name.toLowerCase() === username);
    const matches = await verifyPassword(password, user?.passwordHash ?? (await decoyHash()));
    if (!user || !matches) {
      const locked = await this.lockouts.recordFailure(username, this.lockout);
      return locked ? { ok: false, reason: 'locked', until: locked } : { ok: false, reason: 'invalid' };
    }
    await this.lockouts.clear(username);
    return { ok: true, username: user.name, token: await this.open(user.name) };
  }

  /** The signed-in user of a session cookie's token, while the session lives and its user is still configured. */
  async session(token: string | undefined): Promise<SupportSession | null> {
    if (!token || !TOKEN.test(token)) return null;
    const session = await this.sessions.touch(sha256(token), IDLE_MS);
    return session && this.isUser(session.username) ? session : null;
  }

  async signOut(token: string | undefined): Promise<void> {
    if (token && TOKEN.test(token)) await this.sessions.delete(sha256(token));
  }

  /** Ends the sessions of users no longer configured (and expired ones); returns how many. */
  async prune(): Promise<number> {
    return this.sessions.prune([...this.options.users.map((u) => u.name), ...(this.options.sandbox ? [SANDBOX_SUPPORT_USER] : [])]);
  }

  /** Sandbox mode: a new one-time sign-in link's token, valid for `ttlMs`. */
  async newLoginLink(ttlMs: number): Promise<string> {
    if (!this.options.sandbox) throw new Error('one-time sign-in links exist in sandbox mode only');
    const token = newToken();
    await this.links.create(sha256(token), SANDBOX_SUPPORT_USER, new Date(Date.now() + ttlMs));
    return token;
  }

  /** Uses a one-time link up: a session for its user, or null when it is unknown, used or expired. */
  async useLoginLink(token: string): Promise<{ username: string; token: string } | null> {
    if (!this.options.sandbox || !TOKEN.test(token)) return null;
    const username = await this.links.consume(sha256(token));
    return username ? { username, token: await this.open(username) } : null;
  }

  private isUser(name: string): boolean {
    return this.options.users.some((u) => u.name === name) || (this.options.sandbox && name === SANDBOX_SUPPORT_USER);
  }

  private async open(username: string): Promise<string> {
    const token = newToken();
    await this.sessions.create(sha256(token), username, new Date(Date.now() + SESSION_MS));
    return token;
  }
}
