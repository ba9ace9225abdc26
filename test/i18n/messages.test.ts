import { REASONS } from '../../src/domain/reasons';
import { FAX_STATUSES } from '../../src/domain/status';
import { hasMessage, missingTranslations, negotiateLocale, t } from '../../src/i18n';

test('every message exists in English, German and French', () => {
  expect(missingTranslations()).toEqual([]);
});

test('every reason code and status has a message', () => {
  for (const code of Object.values(REASONS)) expect(hasMessage(`reason.${code}`)).toBe(true);
  for (const status of FAX_STATUSES) expect(hasMessage(`status.${status}`)).toBe(true);
});

test('parameters are filled in, unknown ones left visible', () => {
  expect(t('de', 'reason.too_many_pages', { pages: 60, limit: 50 })).toBe('Das Dokument hat zu viele Seiten (60). Die Grenze liegt bei 50 Seiten.');
  expect(t('en', 'reason.upload_too_large')).toContain('{limit}');
});

test('the language is chosen from an explicit choice, then Accept-Language by quality', () => {
  expect(negotiateLocale('fr', 'de')).toBe('fr');
  expect(negotiateLocale(undefined, 'es-ES, de-AT;q=0.8, fr;q=0.9')).toBe('fr');
  expect(negotiateLocale('xx', 'de-CH')).toBe('de');
  expect(negotiateLocale(undefined, 'es, it')).toBe('en');
  expect(negotiateLocale(undefined, 'de;q=0')).toBe('en');
});
