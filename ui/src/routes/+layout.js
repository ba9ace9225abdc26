import i18next from 'i18next';

import { i18nNamespaces } from '$lib/i18n';
import resources from '$lib/i18n/locales';

// Rendered in the browser only: `durafax ui` serves static files and the API.
export const ssr = false;

export async function load() {
  // The package ships English texts only.
  await i18next.init({ lng: 'en', fallbackLng: 'en', ns: i18nNamespaces, defaultNS: 'common', resources });
}
