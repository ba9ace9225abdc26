import type { Catalog } from '../index';

/** Messages owned by src/carrier. */
export const carrierMessages: Catalog = {
  en: {},
  de: {},
  fr: {},
};
