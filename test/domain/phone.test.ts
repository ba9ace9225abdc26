import { DEFAULT_COUNTRIES } from '../../src/config/config';
import { formatForDisplay, validateFaxNumber } from '../../src/domain/phone';

const served = DEFAULT_COUNTRIES;

describe('validateFaxNumber', () => {
  test.each([
    ['+49 30 12340001', '+493012340001', 'DE'],
    ['+49 30 12340005', '+493012340005', 'DE'],
    ['0049 (30) 1234-0002', '+493012340002', 'DE'],
    ['  +44 20 7946 0958 ', '+442079460958', 'GB'],
    ['+33 1 23 45 67 89', '+33123456789', 'FR'],
    ['+1 (212) 736-2000', '+12127362000', 'US'],
    ['+1 800 555 0100', '+18005550100', 'US'],
    ['+39 06 1234 5678', '+390612345678', 'IT'],
    ['+81 3-1234-5678', '+81312345678', 'JP'],
    ['+43 1 5123456', '+4315123456', 'AT'],
    ['+61 2 9876 5432', '+61298765432', 'AU'],
    ['+1 787 555 1234', '+17875551234', 'PR'],
    ['+31 85 123 4567', '+31851234567', 'NL'],
  ])('accepts %s', (input, e164, country) => {
    expect(validateFaxNumber(input, served)).toEqual({ ok: true, e164, country });
  });

  test.each([
    ['premium rate (DE 0900)', '+49 900 1234567'],
    ['premium rate (US 900)', '+1 900 555 0100'],
    ['premium rate (FR 089)', '+33 8 99 12 34 56'],
    ['shared cost (DE 0180)', '+49 180 5123456'],
    ['shared cost (ES 901)', '+34 901 123456'],
    ['personal (DE 0700)', '+49 700 12345678'],
    ['personal (GB 070)', '+44 70 1234 5678'],
    ['pager (DE 0164)', '+49 164 1234567'],
    ['pager (GB 076)', '+44 7646 412345'],
    ['voicemail (DE)', '+49 16013 1234567'],
    ['voicemail (CH)', '+41 86 012 345 678 9'],
    ['UAN (GB 055)', '+44 55 1234 5678'],
  ])('refuses %s', (_label, input) => {
    expect(validateFaxNumber(input, served)).toEqual({ ok: false, reason: 'number_type_not_allowed' });
  });

  test.each([
    ['China', '+86 10 1234 5678'],
    ['Russia', '+7 495 123 4567'],
    ['Guernsey (shares +44)', '+44 7911 123456'],
  ])('refuses a country that is not served: %s', (_label, input) => {
    expect(validateFaxNumber(input, served)).toEqual({ ok: false, reason: 'country_not_served' });
  });

  test('the served list decides', () => {
    expect(validateFaxNumber('+33 1 23 45 67 89', ['DE'])).toEqual({ ok: false, reason: 'country_not_served' });
    expect(validateFaxNumber('+49 30 12340001', ['DE'])).toMatchObject({ ok: true });
  });

  test.each([
    ['', 'missing_number'],
    ['   ', 'missing_number'],
    ['hello', 'invalid_number'],
    ['030 1234567', 'invalid_number'],
    ['+49 30', 'invalid_number'],
    ['+4930123456789012345', 'invalid_number'],
    ['+1 800 FLOWERS', 'invalid_number'],
    ['++49 30 1234567', 'invalid_number'],
    ['+49 30 1234567 ext. 5', 'invalid_number'],
    ['+49 30 12340001 +49', 'invalid_number'],
    ['+1 700 234 5678', 'invalid_number'],
    ['+'.padEnd(200, '1'), 'invalid_number'],
    ['<script>', 'invalid_number'],
  ])('refuses junk %p as %s', (input, reason) => {
    expect(validateFaxNumber(input, served)).toEqual({ ok: false, reason });
  });
});

test('formatForDisplay gives the international format', () => {
  expect(formatForDisplay('+493012340001')).toBe('+49 30 12340001');
  expect(formatForDisplay('+12127362000')).toBe('+1 212 736 2000');
  expect(formatForDisplay('not a number')).toBe('not a number');
});
