import { loadConfig } from '../../src/config/config';
import { DEFAULT_RATES, parsePrices, priceTable } from '../../src/config/prices';
import { formatMoney, priceFor, rateFor } from '../../src/domain/pricing';

const table = priceTable('eur', { base: 99, perPage: 79 }, {});

test('a fax costs its country’s base fee plus its fee per page; unlisted countries take the default rate', () => {
  expect(priceFor('DE', 2, table)).toEqual({ amount: 99 + 2 * 79, currency: 'eur', rate: { base: 99, perPage: 79 }, pages: 2 });
  expect(priceFor('us', 3, table).amount).toBe(DEFAULT_RATES.US.base + 3 * DEFAULT_RATES.US.perPage);
  expect(rateFor('XX', table)).toEqual({ base: 99, perPage: 79 });
  expect(() => priceFor('DE', 0, table)).toThrow(RangeError);
  expect(() => priceFor('DE', 1.5, table)).toThrow(RangeError);
});

test('PRICES overrides a country’s rate; a malformed entry is named', () => {
  const { rates, problems } = parsePrices('de:49:19, US:150:100');
  expect(rates).toEqual({ DE: { base: 49, perPage: 19 }, US: { base: 150, perPage: 100 } });
  expect(problems).toEqual([]);
  expect(parsePrices('DE=49+19').problems).toEqual(['PRICES: "DE=49+19" is not COUNTRY:base:perPage (for example DE:99:79)']);
  const config = loadConfig('worker', {
    DURAFAX_SANDBOX: '1',
    DATABASE_URL: 'postgres://x/y',
    TEMPORAL_ADDRESS: 'x:1',
    STRIPE_API_BASE: 'http://x',
    TELNYX_API_BASE: 'http://x',
    PRICES: 'DE:49:19',
    PRICE_BASE: '120',
  });
  expect(priceFor('DE', 1, config.policy.prices).amount).toBe(68);
  expect(priceFor('AT', 1, config.policy.prices).amount).toBe(120 + 79);
  expect(priceFor('US', 1, config.policy.prices).amount).toBe(DEFAULT_RATES.US.base + DEFAULT_RATES.US.perPage);
  expect(() =>
    loadConfig('worker', {
      DURAFAX_SANDBOX: '1',
      DATABASE_URL: 'postgres://x/y',
      TEMPORAL_ADDRESS: 'x:1',
      STRIPE_API_BASE: 'http://x',
      TELNYX_API_BASE: 'http://x',
      PRICES: 'Germany:1:2',
    }),
  ).toThrow(/PRICES: "Germany:1:2"/);
});

test('amounts read as people in each language write them', () => {
  expect(formatMoney(257, 'eur', 'en')).toBe('€2.57');
  expect(formatMoney(257, 'eur', 'de')).toBe('2,57\u00a0€');
  expect(formatMoney(257, 'eur', 'fr')).toBe('2,57\u00a0€');
});
