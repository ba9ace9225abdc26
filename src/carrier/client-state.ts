/**
 * `client_state` travels with a fax through the carrier and comes back on every webhook and
 * status read: base64 JSON naming the Durafax fax and its attempt. It is how a webhook finds
 * its workflow and how a lost submission is recognised in the carrier's list.
 */
export interface ClientState {
  faxId: string;
  attempt: number;
}

/** Ids and attempts stay short so the state stays well under the carrier's limits. */
const MAX_FAX_ID_LENGTH = 64;

export function encodeClientState(state: ClientState): string {
  return Buffer.from(JSON.stringify({ faxId: state.faxId, attempt: state.attempt }), 'utf8').toString('base64');
}

/** The decoded state when it is ours; null for anything else (other apps, tampering, junk). */
export function decodeClientState(value: unknown): ClientState | null {
  if (typeof value !== 'string' || value.length === 0 || value.length > 1024) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(value, 'base64').toString('utf8'));
  } catch {
    return null;
  }
  if (typeof parsed !== 'object' || parsed === null) return null;
  const { faxId, attempt } = parsed as { faxId?: unknown; attempt?: unknown };
  if (typeof faxId !== 'string' || faxId.length === 0 || faxId.length > MAX_FAX_ID_LENGTH) return null;
  if (typeof attempt !== 'number' || !Number.isInteger(attempt) || attempt < 1) return null;
  return { faxId, attempt };
}
