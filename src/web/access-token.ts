import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

// Sealing lives in the domain (the worker unseals for emails); the web's callers keep importing it here.
export { sealToken, unsealToken } from '../domain/token-seal';

/** A fresh 256-bit access token, URL-safe. Shown once; only its hash is stored. */
export function newAccessToken(): string {
  return randomBytes(32).toString('base64url');
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** Constant-time check of a presented token against the stored hash. */
export function tokenMatches(token: string | undefined | null, storedHash: string): boolean {
  if (!token || token.length > 100) return false;
  const given = Buffer.from(hashToken(token), 'hex');
  const stored = Buffer.from(storedHash, 'hex');
  return given.length === stored.length && timingSafeEqual(given, stored);
}

/** The token from `Authorization: Bearer <token>`, if present. */
export function bearerToken(header: string | undefined): string | null {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return match ? match[1] : null;
}
