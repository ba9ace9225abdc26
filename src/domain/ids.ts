const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A fax id (and any other id Durafax makes) is a UUID; anything else names nothing of ours. */
export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID.test(value);
}
