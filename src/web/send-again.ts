import type { Fax } from '../db/entities/fax';
import { validateFaxNumber } from '../domain/phone';
import { acceptFax, type AcceptedFax, type CreateFaxDeps } from './create-fax';
import { HttpProblem } from './errors';
import type { RateLimits } from './middleware/rate-limit';

/** A sender may send a failed fax's document again while the document is kept. */
export function canSendAgain(fax: Pick<Fax, 'status' | 'purgedAt'>): boolean {
  return fax.status === 'failed' && !fax.purgedAt;
}

/**
 * The sender's "send again to a corrected number" after a failure: a new fax made from the
 * failed one's upload (converted again, since a cover page names the number), to the number
 * typed, with its own quote, payment and access token, and linked to the fax it repeats.
 * The failed fax stays as it is: nothing was charged for it. Asked twice for the same number,
 * it answers with the same new fax (the request's idempotency key is the fax and the number).
 */
export async function sendAgain(deps: CreateFaxDeps & { rateLimits: RateLimits }, fax: Fax, typedNumber: string): Promise<AcceptedFax> {
  if (!canSendAgain(fax)) throw new HttpProblem(409, 'invalid_request', {}, { messageKey: 'page.fax.send_again.not_possible' });
  const number = validateFaxNumber(typedNumber, deps.allowedCountries, fax.country);
  if (!number.ok) throw new HttpProblem(number.reason === 'missing_number' ? 400 : 422, number.reason, {}, { field: 'to' });
  const original = await deps.store.find(fax.id, 'original');
  if (!original) throw new HttpProblem(409, 'invalid_request', {}, { messageKey: 'page.fax.send_again.not_possible' });
  await deps.rateLimits.consume('uploadPerNumber', number.e164);
  return acceptFax(
    deps,
    {
      document: {
        size: original.size,
        sha256: original.sha256,
        chunks: async function* () {
          yield original.data;
        },
      },
      toNumber: number.e164,
      country: number.country,
      email: fax.email,
      locale: fax.locale,
      // The pages the sender saw: the paper the first conversion used.
      paper: fax.paper,
      cover: fax.cover,
      resentFrom: fax.id,
    },
    `send-again:${fax.id}:${number.e164}`,
  );
}
