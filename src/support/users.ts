import { isPasswordHash } from './passwords';

/** A support user as configured: a name and the scrypt hash of the password. */
export interface SupportUser {
  name: string;
  passwordHash: string;
}

/** Lower-case letters, digits, dot, dash and underscore: a login name, shown in the audit log. */
const NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;

/**
 * The one user of the sandbox's printed sign-in link. It exists in sandbox mode only and can
 * be signed in as through that link alone (it has no password).
 */
export const SANDBOX_SUPPORT_USER = 'sandbox';

export function isSupportUserName(name: string): boolean {
  return NAME.test(name) && name !== SANDBOX_SUPPORT_USER;
}

/**
 * Reads SUPPORT_USERS: `name:hash` entries separated by commas (hashes made by
 * `durafax support-user add NAME`). Every problem is named; a plain password is refused.
 */
export function parseSupportUsers(raw: string | undefined): { users: SupportUser[]; problems: string[] } {
  const users: SupportUser[] = [];
  const problems: string[] = [];
  for (const entry of (raw ?? '')
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean)) {
    const colon = entry.indexOf(':');
    const name = colon > 0 ? entry.slice(0, colon) : entry;
    const hash = colon > 0 ? entry.slice(colon + 1) : '';
    if (!isSupportUserName(name)) {
      problems.push(`SUPPORT_USERS: "${name.slice(0, 64)}" is not a user name (letters, digits, . _ -; not "${SANDBOX_SUPPORT_USER}")`);
    } else if (!isPasswordHash(hash)) {
      // The value is never echoed: it might be a password typed in by mistake.
      problems.push(`SUPPORT_USERS: the entry of "${name}" is not name:hash with a hash from \`durafax support-user add ${name}\``);
    } else if (users.some((u) => u.name === name)) {
      problems.push(`SUPPORT_USERS: "${name}" appears twice`);
    } else {
      users.push({ name, passwordHash: hash });
    }
  }
  return { users, problems };
}

/** SUPPORT_USERS with `user` added (or its hash replaced). */
export function withSupportUser(raw: string | undefined, user: SupportUser): string {
  const others = (raw ?? '')
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e && e.slice(0, e.indexOf(':')) !== user.name);
  return [...others, `${user.name}:${user.passwordHash}`].join(',');
}
