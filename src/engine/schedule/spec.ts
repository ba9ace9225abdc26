import { createHash } from 'node:crypto';

/**
 * Schedule specs as the real server reads them: structured calendars (every field a list of
 * ranges, day of month AND day of week), intervals with a phase, cron strings (5-7 fields,
 * @daily and friends, @every, CRON_TZ=), exclusions, start and end, jitter, and an IANA time
 * zone in which calendars match the wall clock literally (a time DST skips does not happen; one
 * it repeats happens twice). Pure functions: the scheduler and workflow cron both use them.
 */

export interface Range {
  start: number;
  end: number;
  step: number;
}

export interface Calendar {
  second: Range[];
  minute: Range[];
  hour: Range[];
  dayOfMonth: Range[];
  month: Range[];
  year: Range[];
  dayOfWeek: Range[];
  comment?: string;
}

export interface Interval {
  everyMs: number;
  phaseMs: number;
}

export interface Spec {
  calendars: Calendar[];
  intervals: Interval[];
  excludes: Calendar[];
  /** Bounds, inclusive; 0 for none. */
  startMs: number;
  endMs: number;
  jitterMs: number;
  timezone: string;
  /** Classic cron's rule (workflow cron schedules): day of month OR day of week when both are restricted. */
  domOrDow?: boolean;
}

export class SpecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SpecError';
  }
}

const all = (start: number, end: number): Range[] => [{ start, end, step: 1 }];
/** A calendar field's values when it is not given: 0 for second, minute and hour, every value for the rest. */
const DEFAULTS = {
  second: [{ start: 0, end: 0, step: 1 }],
  minute: [{ start: 0, end: 0, step: 1 }],
  hour: [{ start: 0, end: 0, step: 1 }],
  dayOfMonth: all(1, 31),
  month: all(1, 12),
  year: [],
  dayOfWeek: all(0, 6),
};
const BOUNDS: Record<keyof typeof DEFAULTS, [number, number]> = {
  second: [0, 59],
  minute: [0, 59],
  hour: [0, 23],
  dayOfMonth: [1, 31],
  month: [1, 12],
  year: [1970, 2199],
  dayOfWeek: [0, 7],
};
const MONTH_NAMES = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DAY_NAMES = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

/** A range as the server normalises it: an end before the start is the start, a step of 0 is 1. */
export function normalizeRange(r: { start?: number | null; end?: number | null; step?: number | null }): Range {
  const start = Number(r.start ?? 0);
  const end = Number(r.end ?? 0);
  const step = Number(r.step ?? 0);
  return { start, end: end < start ? start : end, step: step > 0 ? step : 1 };
}

function inRanges(ranges: Range[], value: number): boolean {
  if (!ranges.length) return true;
  return ranges.some((r) => value >= r.start && value <= r.end && (value - r.start) % r.step === 0);
}

/** One calendar field of a cron string or CalendarSpec string: `*`, `n`, `a-b`, `*\/s`, `a-b/s`, `a/s`, names, comma lists. */
export function parseField(text: string, field: keyof typeof DEFAULTS): Range[] {
  const [lo, hi] = BOUNDS[field];
  const names = field === 'month' ? MONTH_NAMES : field === 'dayOfWeek' ? DAY_NAMES : undefined;
  const value = (token: string): number => {
    const named = names?.indexOf(token.slice(0, 3).toLowerCase()) ?? -1;
    const n = named >= 0 ? named + (field === 'month' ? 1 : 0) : Number(token);
    if (!Number.isInteger(n) || n < lo || n > hi) throw new SpecError(`invalid ${field} value "${token}"`);
    return field === 'dayOfWeek' && n === 7 ? 0 : n;
  };
  if (text === '*' || text === '?') return field === 'year' ? [] : all(lo, field === 'dayOfWeek' ? 6 : hi);
  return text.split(',').map((part) => {
    const [span, stepText] = part.split('/');
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isInteger(step) || step < 1) throw new SpecError(`invalid ${field} step "${part}"`);
    if (span === '*') return { start: lo, end: field === 'dayOfWeek' ? 6 : hi, step };
    const [a, b] = span.split('-');
    const start = value(a);
    const end = b !== undefined ? value(b) : stepText !== undefined ? hi : start;
    return { start, end: Math.max(start, end), step };
  });
}

const SHORTHANDS: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

function durationText(text: string): number {
  const m = /^(\d+)([smhd])$/.exec(text);
  if (!m) throw new SpecError(`invalid duration "${text}" (a whole number with s, m, h or d)`);
  return Number(m[1]) * UNIT_MS[m[2]];
}

/** A cron string: a calendar or (@every) an interval, and the time zone it names, if any. */
export function parseCron(text: string): { calendar?: Calendar; interval?: Interval; timezone?: string } {
  let rest = text.trim();
  let timezone: string | undefined;
  const tz = /^(?:CRON_TZ|TZ)=(\S+)\s+(.*)$/.exec(rest);
  if (tz) {
    timezone = tz[1];
    rest = tz[2];
  }
  const hash = rest.indexOf('#');
  const comment = hash >= 0 ? rest.slice(hash + 1).trim() : undefined;
  if (hash >= 0) rest = rest.slice(0, hash).trim();
  const every = /^@every\s+(\S+?)(?:\/(\S+))?$/.exec(rest);
  if (every) return { interval: { everyMs: durationText(every[1]), phaseMs: every[2] ? durationText(every[2]) : 0 }, timezone };
  rest = SHORTHANDS[rest.toLowerCase()] ?? rest;
  const f = rest.split(/\s+/);
  if (f.length < 5 || f.length > 7) throw new SpecError(`invalid cron string "${text}": 5, 6 or 7 fields`);
  const [second, minute, hour, dayOfMonth, month, dayOfWeek, year] = f.length === 7 ? f : ['0', ...f, ...(f.length === 5 ? ['*'] : [])];
  return {
    calendar: {
      second: parseField(second, 'second'),
      minute: parseField(minute, 'minute'),
      hour: parseField(hour, 'hour'),
      dayOfMonth: parseField(dayOfMonth, 'dayOfMonth'),
      month: parseField(month, 'month'),
      dayOfWeek: parseField(dayOfWeek, 'dayOfWeek'),
      year: parseField(year, 'year'),
      comment,
    },
    timezone,
  };
}

/** A CalendarSpec of strings (the older form): each field as in cron, with its default when empty. */
export function parseCalendarStrings(c: Partial<Record<keyof typeof DEFAULTS | 'comment', string | null>>): Calendar {
  const field = (name: keyof typeof DEFAULTS): Range[] => (c[name] ? parseField(c[name] ?? '', name) : DEFAULTS[name].map((r) => ({ ...r })));
  return {
    second: field('second'),
    minute: field('minute'),
    hour: field('hour'),
    dayOfMonth: field('dayOfMonth'),
    month: field('month'),
    year: field('year'),
    dayOfWeek: field('dayOfWeek'),
    comment: c.comment ?? undefined,
  };
}

/**
 * Checks a time zone name; throws SpecError when the runtime does not know it. UTC needs no
 * check and no formatter (wallOf computes it directly): the first Intl formatter of a process
 * maps about 7 MB of ICU's data and code, which an engine whose schedules run on UTC never needs.
 */
export function checkTimezone(name: string): void {
  if (name === 'UTC') return;
  try {
    formatter(name);
  } catch {
    throw new SpecError(`unknown time zone "${name}"`);
  }
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(tz, f);
  }
  return f;
}

/** The wall clock of an instant in a time zone, as milliseconds of a UTC date with the same fields. */
export function wallOf(tz: string, instantMs: number): number {
  if (tz === 'UTC') return instantMs;
  const parts: Record<string, number> = {};
  for (const p of formatter(tz).formatToParts(new Date(instantMs))) if (p.type !== 'literal') parts[p.type] = Number(p.value);
  return Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour, parts.minute, parts.second) + (((instantMs % 1000) + 1000) % 1000);
}

/** The instants at which a time zone's wall clock shows `wallMs`: none in a DST gap, two in a fold. */
function instantsOf(tz: string, wallMs: number): number[] {
  if (tz === 'UTC') return [wallMs];
  const offsets = new Set([-86_400_000, 0, 86_400_000].map((d) => wallOf(tz, wallMs + d) - (wallMs + d)));
  return [...offsets]
    .map((o) => wallMs - o)
    .filter((t) => wallOf(tz, t) === wallMs)
    .sort((a, b) => a - b);
}

function dayMatches(cal: Calendar, wall: Date, domOrDow: boolean): boolean {
  const dom = inRanges(cal.dayOfMonth, wall.getUTCDate());
  const dow = inRanges(cal.dayOfWeek, wall.getUTCDay());
  const restricted = (ranges: Range[], lo: number, hi: number): boolean => !ranges.some((r) => r.start <= lo && r.end >= hi && r.step === 1);
  if (domOrDow && restricted(cal.dayOfMonth, 1, 31) && restricted(cal.dayOfWeek, 0, 6)) return dom || dow;
  return dom && dow;
}

/** The first wall-clock time at or after `fromWall` that the calendar matches; undefined when none comes. */
function nextWall(cal: Calendar, fromWall: number, domOrDow: boolean): number | undefined {
  let w = Math.ceil(fromWall / 1000) * 1000;
  for (let i = 0; i < 200_000; i++) {
    const d = new Date(w);
    const [y, mo, day, h, mi] = [d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes()];
    if (y > BOUNDS.year[1]) return undefined;
    if (!inRanges(cal.year, y)) w = Date.UTC(y + 1, 0, 1);
    else if (!inRanges(cal.month, mo + 1)) w = Date.UTC(y, mo + 1, 1);
    else if (!dayMatches(cal, d, domOrDow)) w = Date.UTC(y, mo, day + 1);
    else if (!inRanges(cal.hour, h)) w = Date.UTC(y, mo, day, h + 1);
    else if (!inRanges(cal.minute, mi)) w = Date.UTC(y, mo, day, h, mi + 1);
    else if (!inRanges(cal.second, d.getUTCSeconds())) w += 1000;
    else return w;
  }
  return undefined;
}

function excluded(spec: Spec, instantMs: number): boolean {
  if (!spec.excludes.length) return false;
  const wall = wallOf(spec.timezone, instantMs);
  return spec.excludes.some((cal) => nextWall(cal, wall, false) === wall);
}

function nextOfCalendar(spec: Spec, cal: Calendar, afterMs: number): number | undefined {
  // A wall time repeated by a DST fold can lie before the wall time of `afterMs`: look back two hours.
  let w = wallOf(spec.timezone, afterMs) - 2 * 3_600_000;
  for (let i = 0; i < 10_000; i++) {
    const wall = nextWall(cal, w, !!spec.domOrDow);
    if (wall === undefined) return undefined;
    const instant = instantsOf(spec.timezone, wall).find((t) => t > afterMs);
    if (instant !== undefined) return instant;
    w = wall + 1000;
  }
  return undefined;
}

function nextOfInterval(iv: Interval, afterMs: number): number {
  const k = Math.floor((afterMs - iv.phaseMs) / iv.everyMs) + 1;
  return iv.phaseMs + k * iv.everyMs;
}

/** The spec's next nominal time strictly after `afterMs` (jitter not applied); undefined when it has no more. */
export function nextTime(spec: Spec, afterMs: number): number | undefined {
  let after = spec.startMs > 0 ? Math.max(afterMs, spec.startMs - 1) : afterMs;
  for (let guard = 0; guard < 10_000; guard++) {
    const candidates = [...spec.calendars.map((cal) => nextOfCalendar(spec, cal, after)), ...spec.intervals.map((iv) => nextOfInterval(iv, after))].filter(
      (t): t is number => t !== undefined,
    );
    if (!candidates.length) return undefined;
    const t = Math.min(...candidates);
    if (spec.endMs > 0 && t > spec.endMs) return undefined;
    if (!excluded(spec, t)) return t;
    after = t;
  }
  return undefined;
}

/**
 * The jitter of one nominal time: a fixed pseudo-random part of the spec's jitter (the same
 * after a restart), and never past the next nominal time, as the real server bounds it.
 */
export function jitterOf(spec: Spec, seed: string, nominalMs: number): number {
  if (spec.jitterMs <= 0) return 0;
  const next = nextTime(spec, nominalMs);
  const bound = next === undefined ? spec.jitterMs : Math.min(spec.jitterMs, next - nominalMs);
  if (bound <= 0) return 0;
  const hash = createHash('sha256').update(`${seed}\u0000${nominalMs}`).digest();
  return hash.readUInt32BE(0) % bound;
}

type ProtoRange = { start?: number | null; end?: number | null; step?: number | null };
type ProtoCalendar = { [K in keyof typeof DEFAULTS]?: ProtoRange[] | null } & { comment?: string | null };
type ProtoDuration = { seconds?: number | null; nanos?: number | null } | null | undefined;
type ProtoTimestamp = ProtoDuration;

/** A ScheduleSpec as the API carries it (the plain object the engine decodes). */
export interface ScheduleSpecProto {
  structuredCalendar?: ProtoCalendar[] | null;
  cronString?: string[] | null;
  calendar?: Partial<Record<keyof typeof DEFAULTS | 'comment', string | null>>[] | null;
  interval?: { interval?: ProtoDuration; phase?: ProtoDuration }[] | null;
  excludeCalendar?: Partial<Record<keyof typeof DEFAULTS | 'comment', string | null>>[] | null;
  excludeStructuredCalendar?: ProtoCalendar[] | null;
  startTime?: ProtoTimestamp;
  endTime?: ProtoTimestamp;
  jitter?: ProtoDuration;
  timezoneName?: string | null;
}

const ms = (d: ProtoDuration): number => (d ? Number(d.seconds ?? 0) * 1000 + Math.floor(Number(d.nanos ?? 0) / 1e6) : 0);
const proto = (value: number): { seconds: number; nanos: number } => ({ seconds: Math.floor(value / 1000), nanos: (((value % 1000) + 1000) % 1000) * 1e6 });

function structured(c: ProtoCalendar): Calendar {
  const field = (name: keyof typeof DEFAULTS): Range[] => (c[name] ?? []).map(normalizeRange);
  return {
    second: field('second'),
    minute: field('minute'),
    hour: field('hour'),
    dayOfMonth: field('dayOfMonth'),
    month: field('month'),
    year: field('year'),
    dayOfWeek: field('dayOfWeek'),
    comment: c.comment ?? undefined,
  };
}

/**
 * Compiles a ScheduleSpec as the real server does: cron strings and string calendars become
 * structured calendars (an @every becomes an interval, a CRON_TZ its time zone). Throws
 * SpecError for what the real server refuses.
 */
export function compileSpec(p: ScheduleSpecProto): Spec {
  const calendars = (p.structuredCalendar ?? []).map(structured);
  const intervals: Interval[] = [];
  let timezone = p.timezoneName || '';
  for (const iv of p.interval ?? []) {
    const everyMs = ms(iv.interval);
    if (everyMs <= 0) throw new SpecError('interval must be positive');
    intervals.push({ everyMs, phaseMs: ms(iv.phase) });
  }
  for (const c of p.calendar ?? []) calendars.push(parseCalendarStrings(c));
  for (const text of p.cronString ?? []) {
    const parsed = parseCron(text);
    if (parsed.timezone) {
      if (timezone && timezone !== parsed.timezone) throw new SpecError('cron string time zone conflicts with timezone_name');
      timezone = parsed.timezone;
    }
    if (parsed.calendar) calendars.push(parsed.calendar);
    if (parsed.interval) intervals.push(parsed.interval);
  }
  timezone ||= 'UTC';
  checkTimezone(timezone);
  const excludes = [...(p.excludeStructuredCalendar ?? []).map(structured), ...(p.excludeCalendar ?? []).map(parseCalendarStrings)];
  return { calendars, intervals, excludes, startMs: ms(p.startTime), endMs: ms(p.endTime), jitterMs: ms(p.jitter), timezone };
}

/** The compiled spec in the API's form, as DescribeSchedule returns it (only structured calendars and intervals). */
export function specToProto(spec: Spec): Record<string, unknown> {
  return {
    structuredCalendar: spec.calendars,
    interval: spec.intervals.map((iv) => ({ interval: proto(iv.everyMs), phase: iv.phaseMs ? proto(iv.phaseMs) : undefined })),
    excludeStructuredCalendar: spec.excludes,
    startTime: spec.startMs ? proto(spec.startMs) : undefined,
    endTime: spec.endMs ? proto(spec.endMs) : undefined,
    jitter: spec.jitterMs ? proto(spec.jitterMs) : undefined,
    timezoneName: spec.timezone === 'UTC' ? '' : spec.timezone,
  };
}

/**
 * A workflow's cron schedule (StartWorkflowExecution's cron_schedule), read as the real server
 * reads it (robfig cron: 5 fields or a descriptor, CRON_TZ=, day of month OR day of week).
 */
export function workflowCron(text: string): Spec {
  const parsed = parseCron(text);
  const timezone = parsed.timezone ?? 'UTC';
  checkTimezone(timezone);
  return {
    calendars: parsed.calendar ? [parsed.calendar] : [],
    intervals: parsed.interval ? [parsed.interval] : [],
    excludes: [],
    startMs: 0,
    endMs: 0,
    jitterMs: 0,
    timezone,
    domOrDow: true,
  };
}

/** How long a cron workflow's next run waits: until the cron schedule's next time after `nowMs` (0 when it has none). */
export function cronBackoffMs(cron: string, nowMs: number): number {
  const next = nextTime(workflowCron(cron), nowMs);
  return next === undefined ? 0 : next - nowMs;
}
