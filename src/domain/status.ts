/** Where a fax is in its life. Written by activities; read by pages, the API and support. */
export const FAX_STATUSES = ['converting', 'rejected', 'awaiting_payment', 'expired', 'cancelled', 'queued', 'sending', 'retrying', 'delivered', 'failed'] as const;
export type FaxStatus = (typeof FAX_STATUSES)[number];

/** Statuses after which nothing more happens to the fax (apart from the purge). */
export const FINAL_FAX_STATUSES: readonly FaxStatus[] = ['rejected', 'expired', 'cancelled', 'delivered', 'failed'];

export type PaymentState = 'none' | 'authorized' | 'captured' | 'released' | 'refunded';

/** One transmission attempt as the carrier reports it. */
export type AttemptStatus = 'submitting' | 'queued' | 'sending' | 'delivered' | 'failed' | 'cancelled';

export const PAPER_SIZES = ['a4', 'letter'] as const;
export type PaperSize = (typeof PAPER_SIZES)[number];

export const LOCALES = ['en', 'de', 'fr'] as const;
export type Locale = (typeof LOCALES)[number];

export function isLocale(value: unknown): value is Locale {
  return typeof value === 'string' && (LOCALES as readonly string[]).includes(value);
}
