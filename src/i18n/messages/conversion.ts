import type { Catalog } from '../index';

/** Messages owned by src/conversion. */
export const conversionMessages: Catalog = {
  en: {},
  de: {},
  fr: {},
};
