import type { Catalog } from '../index';

/** Messages owned by src/payments. */
export const paymentMessages: Catalog = {
  en: {},
  de: {},
  fr: {},
};
