/**
 * Stripe's request encoding: `application/x-www-form-urlencoded` (or a query string) with
 * bracket notation for nesting — `metadata[fax_id]=…`, `line_items[0][quantity]=1`,
 * `expand[]=latest_charge`. Values stay strings, as Stripe receives them.
 */
type FormValue = string | FormValue[] | { [key: string]: FormValue };
export type FormObject = { [key: string]: FormValue };

export class FormError extends Error {
  constructor(
    readonly param: string,
    message: string,
    /** Stripe's error code for the problem. */
    readonly code = 'parameter_invalid',
  ) {
    super(message);
    this.name = 'FormError';
  }
}

const MAX_DEPTH = 8;
const MAX_PAIRS = 2000;

/** Splits `a[b][0][]` into ['a', 'b', '0', '']. */
function splitKey(key: string): string[] {
  const open = key.indexOf('[');
  if (open <= 0) return [key];
  const parts = [key.slice(0, open)];
  const rest = key.slice(open);
  const re = /\[([^[\]]*)\]/g;
  let consumed = 0;
  for (let m = re.exec(rest); m; m = re.exec(rest)) {
    if (m.index !== consumed) throw new FormError(key, `Invalid parameter name: ${key}`);
    parts.push(m[1]);
    consumed = m.index + m[0].length;
  }
  if (consumed !== rest.length) throw new FormError(key, `Invalid parameter name: ${key}`);
  return parts;
}

/** Array indices and `[]` make arrays; any other segment makes an object. */
function isIndex(segment: string): boolean {
  return segment === '' || /^\d{1,4}$/.test(segment);
}

function assign(root: FormObject, parts: string[], value: string, key: string): void {
  if (parts.length > MAX_DEPTH) throw new FormError(key, `Parameter nested too deeply: ${key}`);
  let node: FormObject | FormValue[] = root;
  for (let i = 0; i < parts.length; i++) {
    const seg = parts[i];
    const last = i === parts.length - 1;
    const nextIsIndex = !last && isIndex(parts[i + 1]);
    if (Array.isArray(node)) {
      if (!isIndex(seg)) throw new FormError(key, `Invalid array parameter: ${key}`);
      const idx = seg === '' ? node.length : Number(seg);
      if (idx > node.length) throw new FormError(key, `Invalid array index in ${key}: indices must be contiguous from 0`);
      if (last) {
        node[idx] = value;
        return;
      }
      node[idx] ??= nextIsIndex ? [] : {};
      node = descend(node[idx], nextIsIndex, key);
    } else {
      if (seg === '') throw new FormError(key, `Invalid parameter name: ${key}`);
      if (last) {
        if (seg in node && typeof node[seg] !== 'string') throw new FormError(key, `Conflicting values for ${key}`);
        node[seg] = value;
        return;
      }
      node[seg] ??= nextIsIndex ? [] : {};
      node = descend(node[seg], nextIsIndex, key);
    }
  }
}

function descend(value: FormValue, wantArray: boolean, key: string): FormObject | FormValue[] {
  if (typeof value === 'string' || Array.isArray(value) !== wantArray) throw new FormError(key, `Conflicting values for ${key}`);
  return value;
}

/** Parses an encoded form or query string into nested objects and arrays. */
export function parseForm(encoded: string): FormObject {
  const out: FormObject = {};
  if (!encoded) return out;
  const params = new URLSearchParams(encoded);
  let count = 0;
  for (const [key, value] of params) {
    if (++count > MAX_PAIRS) throw new FormError(key, 'Too many parameters');
    assign(out, splitKey(key), value, key);
  }
  return out;
}

/** Typed reads of parsed parameters with Stripe-style errors naming the parameter. */
export class Params {
  constructor(
    readonly raw: FormObject,
    private readonly prefix = '',
  ) {}

  private name(key: string): string {
    return this.prefix ? `${this.prefix}[${key}]` : key;
  }

  has(key: string): boolean {
    return this.raw[key] !== undefined;
  }

  string(key: string): string | undefined {
    const v = this.raw[key];
    if (v === undefined) return undefined;
    if (typeof v !== 'string') throw new FormError(this.name(key), `Invalid string: ${this.name(key)}`);
    return v;
  }

  requiredString(key: string): string {
    const v = this.string(key);
    if (v === undefined || v === '') throw new FormError(this.name(key), `Missing required param: ${this.name(key)}.`, 'parameter_missing');
    return v;
  }

  integer(key: string): number | undefined {
    const v = this.string(key);
    if (v === undefined) return undefined;
    if (!/^-?\d{1,15}$/.test(v)) throw new FormError(this.name(key), `Invalid integer: ${v}`, 'parameter_invalid_integer');
    return Number(v);
  }

  requiredInteger(key: string): number {
    const v = this.integer(key);
    if (v === undefined) throw new FormError(this.name(key), `Missing required param: ${this.name(key)}.`, 'parameter_missing');
    return v;
  }

  object(key: string): Params | undefined {
    const v = this.raw[key];
    if (v === undefined) return undefined;
    if (typeof v === 'string' && v === '') return new Params({}, this.name(key));
    if (typeof v !== 'object' || Array.isArray(v)) throw new FormError(this.name(key), `Invalid object: ${this.name(key)}`);
    return new Params(v, this.name(key));
  }

  array(key: string): Params[] {
    const v = this.raw[key];
    if (v === undefined) return [];
    if (!Array.isArray(v)) throw new FormError(this.name(key), `Invalid array: ${this.name(key)}`);
    return v.map((item, i) => {
      if (typeof item !== 'object' || Array.isArray(item)) throw new FormError(`${this.name(key)}[${i}]`, `Invalid object: ${this.name(key)}[${i}]`);
      return new Params(item, `${this.name(key)}[${i}]`);
    });
  }

  stringArray(key: string): string[] {
    const v = this.raw[key];
    if (v === undefined) return [];
    if (typeof v === 'string') return [v];
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw new FormError(this.name(key), `Invalid array: ${this.name(key)}`);
    return v as string[];
  }

  /** Stripe metadata: string keys to string values, at most 50 keys. */
  metadata(key = 'metadata'): Record<string, string> {
    const obj = this.object(key);
    if (!obj) return {};
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(obj.raw)) {
      if (typeof v !== 'string') throw new FormError(`${this.name(key)}[${k}]`, `Invalid metadata value for ${k}`);
      if (k.length > 40) throw new FormError(`${this.name(key)}[${k}]`, 'Metadata keys can be at most 40 characters.');
      if (v.length > 500) throw new FormError(`${this.name(key)}[${k}]`, 'Metadata values can be at most 500 characters.');
      out[k] = v;
    }
    if (Object.keys(out).length > 50) throw new FormError(this.name(key), 'Metadata can have at most 50 keys.');
    return out;
  }

  /** Fails on any parameter this endpoint does not know, like Stripe does. */
  only(...known: string[]): void {
    for (const key of Object.keys(this.raw)) {
      if (!known.includes(key)) throw new FormError(this.name(key), `Received unknown parameter: ${this.name(key)}`, 'parameter_unknown');
    }
  }
}
