import type { Locale } from '../domain/status';

/** The status page of a fax, in the language the sender used. */
export function statusPagePath(fax: { id: string; locale: Locale }): string {
  return `/${fax.locale}/faxes/${fax.id}`;
}

/** The private link that opens a fax's status page: the token is exchanged for a cookie at once. */
export function privateLinkPath(fax: { id: string; locale: Locale }, token: string): string {
  return `${statusPagePath(fax)}?t=${encodeURIComponent(token)}`;
}
