import { TelnyxWebhook, TelnyxWebhookVerificationError } from 'telnyx/lib/webhooks';

export type TelnyxSignatureCheck = { ok: true } | { ok: false; problem: 'missing_signature' | 'stale_timestamp' | 'bad_signature' };

/** The telnyx library refuses timestamps more than five minutes off; a tolerance can only be stricter. */
const MAX_TOLERANCE_SECS = 300;

/**
 * A checker for Telnyx webhook signatures (Ed25519 over `${timestamp}|${rawBody}`, headers
 * `telnyx-signature-ed25519` and `telnyx-timestamp`) built on the library's verifier. An
 * unusable public key throws here, at start-up, rather than on the first webhook.
 */
export function createTelnyxSignatureChecker(publicKey: string, toleranceSecs = MAX_TOLERANCE_SECS) {
  const verifier = new TelnyxWebhook(publicKey);
  const tolerance = Math.min(Math.max(toleranceSecs, 1), MAX_TOLERANCE_SECS);

  return async (rawBody: string, headers: Record<string, string | undefined>, nowMs = Date.now()): Promise<TelnyxSignatureCheck> => {
    const signature = headers['telnyx-signature-ed25519'];
    const timestamp = headers['telnyx-timestamp'];
    if (!signature || !timestamp) return { ok: false, problem: 'missing_signature' };
    if (!/^\d{1,12}$/.test(timestamp) || Math.abs(nowMs / 1000 - Number(timestamp)) > tolerance) {
      return { ok: false, problem: 'stale_timestamp' };
    }
    try {
      await verifier.verify(rawBody, { 'telnyx-signature-ed25519': signature, 'telnyx-timestamp': timestamp });
      return { ok: true };
    } catch (err) {
      if (err instanceof TelnyxWebhookVerificationError) return { ok: false, problem: 'bad_signature' };
      throw err;
    }
  };
}
