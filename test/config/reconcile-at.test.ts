import { ConfigError, loadConfig } from '../../src/config/config';

const SANDBOX = {
  DURAFAX_SANDBOX: '1',
  DATABASE_URL: 'postgres://u:p@db/durafax',
  TEMPORAL_ADDRESS: '127.0.0.1:7233',
  STRIPE_API_BASE: 'http://127.0.0.1:1',
  TELNYX_API_BASE: 'http://127.0.0.1:2',
};

function reconcileAt(value: string | undefined): ReturnType<typeof loadConfig>['reconcileAt'] | string[] {
  try {
    return loadConfig('worker', { ...SANDBOX, ...(value === undefined ? {} : { RECONCILE_AT: value }) }).reconcileAt;
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
}

test('RECONCILE_AT: 03:30 UTC unless set; a time with an optional time zone; off switches the reconciliation off', () => {
  expect(reconcileAt(undefined)).toEqual({ hour: 3, minute: 30, timeZone: 'UTC' });
  expect(reconcileAt('4:05')).toEqual({ hour: 4, minute: 5, timeZone: 'UTC' });
  expect(reconcileAt('23:59 Europe/Berlin')).toEqual({ hour: 23, minute: 59, timeZone: 'Europe/Berlin' });
  expect(reconcileAt('off')).toBeNull();
  expect(reconcileAt('OFF')).toBeNull();
});

test('RECONCILE_AT: a time that is none, or an unknown time zone, stops start-up naming the setting', () => {
  expect(reconcileAt('24:00')).toEqual([expect.stringMatching(/^RECONCILE_AT must be HH:MM/)]);
  expect(reconcileAt('3.30')).toEqual([expect.stringMatching(/^RECONCILE_AT must be HH:MM/)]);
  expect(reconcileAt('03:30 Mars/Olympus')).toEqual(['RECONCILE_AT "Mars/Olympus" is not a time zone name']);
});
