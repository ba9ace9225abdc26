import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/**
 * Support users' passwords, hashed with scrypt (node:crypto) and kept in configuration as
 * `scrypt$<N>$<r>$<p>$<salt>$<hash>` (salt and hash base64url): no `:` or `,`, so a hash sits
 * in SUPPORT_USERS as it is. The cost parameters travel with each hash, so stronger ones
 * later leave older hashes valid.
 */
const PREFIX = 'scrypt';
const KEY_BYTES = 32;
/** 2^15 × 8 × 128 bytes = 32 MB and ~100 ms per check: slow for a guesser, fine for a sign-in. */
const DEFAULT_COST = { N: 2 ** 15, r: 8, p: 1 };
const FORMAT = /^scrypt\$(\d{1,7})\$(\d{1,2})\$(\d{1,2})\$([A-Za-z0-9_-]{16,})\$([A-Za-z0-9_-]{43})$/;

/** The shortest password `durafax support-user add` takes. */
export const MIN_PASSWORD_LENGTH = 12;

function derive(password: string, salt: Buffer, cost: { N: number; r: number; p: number }): Promise<Buffer> {
  const options: ScryptOptions = { ...cost, maxmem: 256 * cost.N * cost.r };
  return new Promise((resolve, reject) => scrypt(password.normalize('NFC'), salt, KEY_BYTES, options, (err, key) => (err ? reject(err) : resolve(key))));
}

export async function hashPassword(password: string, cost = DEFAULT_COST): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, cost);
  return [PREFIX, cost.N, cost.r, cost.p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

/** Whether `hash` has the form hashPassword writes (checked when the configuration loads). */
export function isPasswordHash(hash: string): boolean {
  const m = FORMAT.exec(hash);
  if (!m) return false;
  const N = Number(m[1]);
  return N >= 2 ** 14 && (N & (N - 1)) === 0 && Number(m[2]) >= 1 && Number(m[3]) >= 1;
}

/** Checks a password against a stored hash in constant time; a malformed hash never matches. */
export async function verifyPassword(password: string, hash: string): Promise<boolean> {
  const m = FORMAT.exec(hash);
  if (!m || !isPasswordHash(hash)) return false;
  const expected = Buffer.from(m[5], 'base64url');
  const key = await derive(password, Buffer.from(m[4], 'base64url'), { N: Number(m[1]), r: Number(m[2]), p: Number(m[3]) });
  return key.length === expected.length && timingSafeEqual(key, expected);
}

/**
 * A hash of a random password, checked against when the user name is unknown, so a sign-in
 * takes as long for a name that does not exist as for one that does.
 */
let decoy: Promise<string> | undefined;
export function decoyHash(): Promise<string> {
  decoy ??= hashPassword(randomBytes(24).toString('base64url'));
  return decoy;
}
