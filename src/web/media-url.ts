import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Signed, expiring links to a fax's transmitted PDF, for the carrier to download. The
 * signature covers the document id and the expiry; the link reveals nothing else.
 */
export function signMediaPath(documentId: string, expiresAt: Date, secret: string): string {
  const exp = Math.floor(expiresAt.getTime() / 1000);
  return `/media/${documentId}.pdf?exp=${exp}&sig=${mediaSignature(documentId, exp, secret)}`;
}

function mediaSignature(documentId: string, exp: number, secret: string): string {
  return createHmac('sha256', secret).update(`media:${documentId}:${exp}`).digest('base64url');
}

/** True when the signature matches and the link has not expired. */
export function verifyMediaSignature(documentId: string, exp: number, sig: string, secret: string, now = Date.now()): boolean {
  if (!Number.isInteger(exp) || exp * 1000 < now) return false;
  const expected = Buffer.from(mediaSignature(documentId, exp, secret));
  const given = Buffer.from(sig);
  return expected.length === given.length && timingSafeEqual(expected, given);
}
