import { compileSpec, jitterOf, nextTime, parseCron, workflowCron, type Spec } from '../../src/engine/schedule/spec';

/** Schedule specs as the real server reads them: calendars, intervals, cron strings, time zones. */
const at = (iso: string): number => Date.parse(iso);
const iso = (ms: number | undefined): string | undefined => (ms === undefined ? undefined : new Date(ms).toISOString());
const times = (spec: Spec, from: string, n: number): (string | undefined)[] => {
  const out: (string | undefined)[] = [];
  let t = at(from);
  for (let i = 0; i < n; i++) {
    const next = nextTime(spec, t);
    out.push(iso(next));
    if (next === undefined) break;
    t = next;
  }
  return out;
};

test('cron strings: weekdays at noon, @daily, @every with a phase, 6 and 7 fields', () => {
  expect(times(compileSpec({ cronString: ['0 12 * * MON-FRI'] }), '2026-03-06T13:00:00Z', 2)).toEqual(['2026-03-09T12:00:00.000Z', '2026-03-10T12:00:00.000Z']);
  expect(times(compileSpec({ cronString: ['@daily'] }), '2026-03-06T13:00:00Z', 1)).toEqual(['2026-03-07T00:00:00.000Z']);
  expect(times(compileSpec({ cronString: ['@every 90m/15m'] }), '1970-01-01T00:00:00Z', 2)).toEqual(['1970-01-01T00:15:00.000Z', '1970-01-01T01:45:00.000Z']);
  expect(times(compileSpec({ cronString: ['30 0 1 * * 2027'] }), '2026-12-31T00:00:00Z', 1)).toEqual(['2027-01-01T00:30:00.000Z']);
  expect(times(compileSpec({ cronString: ['15 30 0 1 1 * 2030 # new year'] }), '2026-01-01T00:00:00Z', 2)).toEqual(['2030-01-01T00:30:15.000Z', undefined]);
  expect(() => parseCron('0 12 * *')).toThrow(/5, 6 or 7 fields/);
  expect(() => parseCron('0 25 * * *')).toThrow(/invalid hour/);
});

test('structured calendars: day of month AND day of week, steps, exclusions, start and end', () => {
  // Friday the 13th, any month.
  const friday13 = compileSpec({
    structuredCalendar: [
      { second: [{ start: 0 }], minute: [{ start: 0 }], hour: [{ start: 9 }], dayOfMonth: [{ start: 13 }], month: [{ start: 1, end: 12 }], dayOfWeek: [{ start: 5 }] },
    ],
  });
  expect(times(friday13, '2026-01-01T00:00:00Z', 2)).toEqual(['2026-02-13T09:00:00.000Z', '2026-03-13T09:00:00.000Z']);
  const everyTwoHours = compileSpec({
    structuredCalendar: [
      {
        second: [{ start: 0 }],
        minute: [{ start: 0 }],
        hour: [{ start: 0, end: 23, step: 2 }],
        dayOfMonth: [{ start: 1, end: 31 }],
        month: [{ start: 1, end: 12 }],
        dayOfWeek: [{ start: 0, end: 6 }],
      },
    ],
    excludeStructuredCalendar: [
      {
        second: [{ start: 0 }],
        minute: [{ start: 0 }],
        hour: [{ start: 4 }],
        dayOfMonth: [{ start: 1, end: 31 }],
        month: [{ start: 1, end: 12 }],
        dayOfWeek: [{ start: 0, end: 6 }],
      },
    ],
    startTime: { seconds: at('2026-01-01T01:00:00Z') / 1000 },
    endTime: { seconds: at('2026-01-01T08:00:00Z') / 1000 },
  });
  expect(times(everyTwoHours, '2025-12-31T00:00:00Z', 4)).toEqual(['2026-01-01T02:00:00.000Z', '2026-01-01T06:00:00.000Z', '2026-01-01T08:00:00.000Z', undefined]);
});

test('a time zone: wall-clock matching, a time DST skips does not happen, one it repeats happens twice', () => {
  const halfPastTwo = (tz: string): Spec => compileSpec({ cronString: ['30 2 * * *'], timezoneName: tz });
  // Berlin springs forward on 2026-03-29 (02:00 → 03:00) and falls back on 2026-10-25 (03:00 → 02:00).
  expect(times(halfPastTwo('Europe/Berlin'), '2026-03-28T12:00:00Z', 2)).toEqual(['2026-03-30T00:30:00.000Z', '2026-03-31T00:30:00.000Z']);
  expect(times(halfPastTwo('Europe/Berlin'), '2026-10-24T12:00:00Z', 3)).toEqual(['2026-10-25T00:30:00.000Z', '2026-10-25T01:30:00.000Z', '2026-10-26T01:30:00.000Z']);
  expect(times(compileSpec({ cronString: ['CRON_TZ=America/New_York 0 9 * * *'] }), '2026-07-01T00:00:00Z', 1)).toEqual(['2026-07-01T13:00:00.000Z']);
  expect(() => compileSpec({ cronString: ['@daily'], timezoneName: 'Mars/Olympus' })).toThrow(/unknown time zone/);
});

test("a workflow's cron schedule: classic cron's day of month OR day of week", () => {
  // The 1st of the month, or any Monday.
  expect(times(workflowCron('0 0 1 * 1'), '2026-03-02T12:00:00Z', 3)).toEqual(['2026-03-09T00:00:00.000Z', '2026-03-16T00:00:00.000Z', '2026-03-23T00:00:00.000Z']);
  expect(times(workflowCron('0 0 1 * 1'), '2026-03-30T12:00:00Z', 1)).toEqual(['2026-04-01T00:00:00.000Z']);
});

test('jitter: the same for a given time after a restart, never past the next time', () => {
  const spec = compileSpec({ interval: [{ interval: { seconds: 60 } }], jitter: { seconds: 3600 } });
  const j = jitterOf(spec, 'sched-1', 60_000);
  expect(j).toBe(jitterOf(spec, 'sched-1', 60_000));
  expect(j).toBeGreaterThanOrEqual(0);
  expect(j).toBeLessThan(60_000);
  expect(jitterOf(compileSpec({ interval: [{ interval: { seconds: 60 } }] }), 'sched-1', 60_000)).toBe(0);
});

test('a UTC schedule compiles and runs without any Intl formatter (no ICU data mapped for it)', () => {
  const made = jest.spyOn(Intl, 'DateTimeFormat');
  try {
    jest.isolateModules(() => {
      // A fresh module: its formatters are kept, and the tests above made UTC's if it had one.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const fresh = require('../../src/engine/schedule/spec') as typeof import('../../src/engine/schedule/spec');
      const spec = fresh.compileSpec({ cronString: ['30 3 * * *'] });
      expect(spec.timezone).toBe('UTC');
      expect(fresh.nextTime(spec, Date.UTC(2026, 0, 1, 12))).toBe(Date.UTC(2026, 0, 2, 3, 30));
      expect(fresh.workflowCron('@hourly').timezone).toBe('UTC');
      expect(made).not.toHaveBeenCalled();
      // A named zone still builds one.
      fresh.compileSpec({ cronString: ['30 3 * * *'], timezoneName: 'Europe/Berlin' });
      expect(made).toHaveBeenCalled();
    });
  } finally {
    made.mockRestore();
  }
});
