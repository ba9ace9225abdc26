import type { Limits } from '../config/config';
import { formatBytes } from '../conversion/limits';
import type { Locale } from '../domain/status';
import { t } from './index';

/**
 * A reason code in plain words, with the limits it names filled in. A refused document's
 * page count is not kept, so "too many pages" says "more than the limit".
 */
export function reasonText(locale: Locale, code: string, fax: { pages: number | null }, limits: Limits): string {
  return t(locale, `reason.${code}`, {
    limit: code === 'too_many_pages' ? limits.maxPages : formatBytes(limits.maxUploadBytes),
    pages: fax.pages ?? `> ${limits.maxPages}`,
  });
}
