import fs from 'node:fs';
import path from 'node:path';

/**
 * The shape of an API answer: which fields exist and what kind of value each holds, with the
 * kinds the UI depends on told apart (RFC 3339 time, int64 string, duration, full enum name).
 */
export type Shape = string | Shape[] | { [key: string]: Shape };

const TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3}|\.\d{6}|\.\d{9})?Z$/;

export function shapeOf(value: unknown): Shape {
  if (value === null) return 'null';
  if (Array.isArray(value)) return value.length ? [value.map(shapeOf).reduce(merge)] : [];
  if (typeof value === 'object') {
    // An empty map or list is no requirement: one server sends `memo: {}` where another sends nothing.
    const fields = Object.entries(value).map(([k, v]) => [k, shapeOf(v)] as const);
    return Object.fromEntries(fields.filter(([, s]) => !(typeof s === 'object' && Object.keys(s).length === 0)));
  }
  if (typeof value === 'string') {
    if (TIME.test(value)) return 'time';
    if (/^-?\d+$/.test(value)) return 'int64';
    if (/^-?\d+(\.\d{1,9})?s$/.test(value)) return 'duration';
    if (/^[A-Z][A-Z0-9]*(_[A-Z0-9]+)+$/.test(value)) return 'enum';
    return 'string';
  }
  return typeof value;
}

/** Elements of a list differ (history events): their shape is the union of their fields. */
function merge(a: Shape, b: Shape): Shape {
  if (typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b)) {
    const out: { [key: string]: Shape } = { ...a };
    for (const [k, v] of Object.entries(b)) out[k] = k in out ? merge(out[k], v) : v;
    return out;
  }
  if (Array.isArray(a) && Array.isArray(b)) return a.length && b.length ? [merge(a[0], b[0])] : a.length ? a : b;
  return a;
}

/** Where `actual` lacks a field of `recorded` or holds another kind there (extra fields are fine: a newer server may add some). */
export function shapeMismatches(recorded: Shape, actual: Shape, at = '$'): string[] {
  if (Array.isArray(recorded)) {
    if (!Array.isArray(actual)) return [`${at}: expected a list, got ${JSON.stringify(actual)}`];
    return recorded.length ? (actual.length ? shapeMismatches(recorded[0], actual[0], `${at}[]`) : [`${at}: expected items`]) : [];
  }
  if (typeof recorded === 'object') {
    if (typeof actual !== 'object' || Array.isArray(actual)) return [`${at}: expected an object, got ${JSON.stringify(actual)}`];
    return Object.entries(recorded).flatMap(([k, v]) => (k in actual ? shapeMismatches(v, actual[k], `${at}.${k}`) : [`${at}.${k}: missing`]));
  }
  return recorded === actual ? [] : [`${at}: expected ${recorded}, got ${JSON.stringify(actual)}`];
}

const FILE = path.join(__dirname, 'recorded-shapes.json');

/**
 * Recorded shapes, one per endpoint: `UPDATE_UI_SHAPES=1` records them anew (then review the
 * diff); otherwise each answer must have at least the recorded fields, of the recorded kinds.
 */
export class RecordedShapes {
  private readonly recorded: Record<string, Shape> = fs.existsSync(FILE) ? (JSON.parse(fs.readFileSync(FILE, 'utf8')) as Record<string, Shape>) : {};
  private readonly seen: Record<string, Shape> = {};
  readonly updating = process.env.UPDATE_UI_SHAPES === '1';

  mismatches(name: string, body: unknown): string[] {
    const actual = shapeOf(body);
    this.seen[name] = actual;
    if (this.updating) return [];
    if (!this.recorded[name]) return [`no recorded shape for ${name}: run with UPDATE_UI_SHAPES=1`];
    return shapeMismatches(this.recorded[name], actual);
  }

  save(): void {
    if (!this.updating) return;
    const sorted = Object.fromEntries(Object.entries({ ...this.recorded, ...this.seen }).sort(([a], [b]) => a.localeCompare(b)));
    fs.writeFileSync(FILE, `${JSON.stringify(sorted, null, 2)}\n`);
  }
}
