import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

/**
 * A fax's access token sealed under the app secret, for the few places that must show it
 * again: a replayed create (web) and the status link in emails (worker). Both processes
 * import it from here, so neither reaches into the other's folder.
 */

function sealKey(secret: string): Buffer {
  return createHash('sha256').update(`durafax token seal:${secret}`).digest();
}

/** AES-256-GCM under a key derived from the app secret. */
export function sealToken(token: string, secret: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', sealKey(secret), iv);
  const body = Buffer.concat([cipher.update(token, 'utf8'), cipher.final()]);
  return [iv, cipher.getAuthTag(), body].map((b) => b.toString('base64url')).join('.');
}

/** The token, or null when the seal is damaged or was made under another secret. */
export function unsealToken(sealed: string, secret: string): string | null {
  const [iv, tag, body] = sealed.split('.').map((p) => Buffer.from(p, 'base64url'));
  if (!iv || !tag || !body) return null;
  try {
    const decipher = createDecipheriv('aes-256-gcm', sealKey(secret), iv);
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8');
  } catch {
    return null;
  }
}
