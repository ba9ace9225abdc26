/**
 * Proto3 JSON for the Temporal API, in the exact form the Temporal UI reads (the form the
 * official ui-server's grpc-gateway writes): camelCase fields, int64 as strings, enums by full
 * name, bytes base64, Timestamp as RFC 3339, Duration as "1.5s", Any with "@type", and fields
 * at their default value left out. protobufjs's own toObject gives none of the last four, hence
 * this module; it walks messages with the reflection types of `@temporalio/proto`.
 *
 * The reverse direction turns request JSON (an HTTP body, path and query parameters) into the
 * plain objects the gRPC encoder takes: accepting camelCase or snake_case names, enum names or
 * numbers, int64 as strings, times and durations in their JSON forms, base64 bytes.
 */
import { Enum, type Field, type Root, type Type } from 'protobufjs';

// The JSON root carries every Temporal message as a reflection type; it ships without type
// declarations, hence the plain require (the same module the SDK's client uses).
// eslint-disable-next-line @typescript-eslint/no-require-imports
export const protoRoot = require('@temporalio/proto/protos/json-module.js') as Root;
protoRoot.resolveAll();

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Obj = Record<string, unknown>;

/** A request that cannot be read (a gateway answers it with INVALID_ARGUMENT, HTTP 400). */
export class JsonInputError extends Error {}

const LONG_TYPES = new Set(['int64', 'uint64', 'sint64', 'fixed64', 'sfixed64']);
const INT_TYPES = new Set(['int32', 'uint32', 'sint32', 'fixed32', 'sfixed32']);
const WRAPPERS = new Set(
  ['DoubleValue', 'FloatValue', 'Int64Value', 'UInt64Value', 'Int32Value', 'UInt32Value', 'BoolValue', 'StringValue', 'BytesValue'].map((n) => `.google.protobuf.${n}`),
);

interface LongLike {
  low: number;
  high: number;
  unsigned: boolean;
  toString(): string;
}

function isLong(v: unknown): v is LongLike {
  return typeof v === 'object' && v !== null && typeof (v as LongLike).low === 'number' && typeof (v as LongLike).high === 'number';
}

/** An int64 value (Long, number or string from protobufjs) as a decimal string. */
function longString(v: unknown): string {
  if (isLong(v)) return v.toString();
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : String(Math.trunc(v));
  return String(v);
}

function longNumber(v: unknown): number {
  return Number(longString(v));
}

function bytesBase64(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64');
  return '';
}

/** Fractional seconds as protojson writes them: none, 3, 6 or 9 digits. */
function fraction(nanos: number): string {
  if (!nanos) return '';
  const digits = String(nanos).padStart(9, '0');
  if (nanos % 1_000_000 === 0) return `.${digits.slice(0, 3)}`;
  if (nanos % 1_000 === 0) return `.${digits.slice(0, 6)}`;
  return `.${digits}`;
}

export function timestampJson(seconds: unknown, nanos: unknown): string {
  const s = longNumber(seconds ?? 0);
  const n = Number(nanos ?? 0);
  const iso = new Date(s * 1000).toISOString(); // …T12:34:56.000Z
  return `${iso.slice(0, 19)}${fraction(n)}Z`;
}

export function durationJson(seconds: unknown, nanos: unknown): string {
  const s = BigInt(longString(seconds ?? 0));
  const n = Number(nanos ?? 0);
  const negative = s < 0n || n < 0;
  const abs = (s < 0n ? -s : s).toString();
  return `${negative ? '-' : ''}${abs}${fraction(Math.abs(n))}s`;
}

function isDefaultScalar(field: Field, v: unknown): boolean {
  if (field.resolvedType instanceof Enum) return Number(v) === 0;
  if (LONG_TYPES.has(field.type)) return longString(v) === '0';
  switch (field.type) {
    case 'string':
      return v === '';
    case 'bool':
      return v === false;
    case 'bytes':
      return bytesBase64(v) === '';
    case 'double':
    case 'float':
      return v === 0;
    default:
      return INT_TYPES.has(field.type) ? v === 0 : false;
  }
}

function scalarJson(field: Field, v: unknown): Json {
  if (field.resolvedType instanceof Enum) {
    const name = field.resolvedType.valuesById[Number(v)];
    return name ?? Number(v);
  }
  if (LONG_TYPES.has(field.type)) return longString(v);
  if (field.type === 'bytes') return bytesBase64(v);
  if (field.type === 'double' || field.type === 'float') {
    const n = Number(v);
    if (Number.isNaN(n)) return 'NaN';
    if (!Number.isFinite(n)) return n > 0 ? 'Infinity' : '-Infinity';
    return n;
  }
  return v as Json;
}

function valueJson(field: Field, v: unknown): Json {
  return field.resolvedType && !(field.resolvedType instanceof Enum) ? messageJson(field.resolvedType, v as Obj) : scalarJson(field, v);
}

/** google.protobuf.Value, Struct and ListValue are plain JSON. */
function structValueJson(v: Obj): Json {
  if (v.nullValue !== undefined && v.nullValue !== null) return null;
  if (typeof v.numberValue === 'number') return v.numberValue;
  if (typeof v.stringValue === 'string') return v.stringValue;
  if (typeof v.boolValue === 'boolean') return v.boolValue;
  if (v.structValue) return structJson(v.structValue as Obj);
  if (v.listValue) return (((v.listValue as Obj).values as Obj[] | undefined) ?? []).map(structValueJson);
  return null;
}

function structJson(v: Obj): Json {
  const out: Record<string, Json> = {};
  for (const [k, val] of Object.entries((v.fields as Record<string, Obj> | undefined) ?? {})) out[k] = structValueJson(val);
  return out;
}

function anyJson(v: Obj): Json {
  // google.protobuf.Any keeps its proto field names in @temporalio/proto (`type_url`).
  const url = v.type_url ?? v.typeUrl;
  const typeUrl = typeof url === 'string' ? url : '';
  const name = typeUrl.slice(typeUrl.lastIndexOf('/') + 1);
  const type = name ? (protoRoot.lookup(name) as Type | null) : null;
  if (!type || !('decode' in type)) return { '@type': typeUrl, value: bytesBase64(v.value) };
  const inner = messageJson(type, type.decode(v.value as Uint8Array));
  // Types with a special JSON form (Timestamp, Duration, wrappers…) go under "value".
  if (inner === null || typeof inner !== 'object' || Array.isArray(inner) || type.fullName.startsWith('.google.protobuf.')) return { '@type': typeUrl, value: inner };
  return { '@type': typeUrl, ...inner };
}

/** A decoded message (protobufjs instance or plain object) as proto3 JSON. */
export function messageJson(type: Type, msg: Obj | null | undefined): Json {
  if (msg === null || msg === undefined) return null;
  switch (type.fullName) {
    case '.google.protobuf.Timestamp':
      return timestampJson(msg.seconds, msg.nanos);
    case '.google.protobuf.Duration':
      return durationJson(msg.seconds, msg.nanos);
    case '.google.protobuf.Any':
      return anyJson(msg);
    case '.google.protobuf.FieldMask':
      return ((msg.paths as string[] | undefined) ?? []).map((p) => p.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase())).join(',');
    case '.google.protobuf.Struct':
      return structJson(msg);
    case '.google.protobuf.Value':
      return structValueJson(msg);
    case '.google.protobuf.ListValue':
      return ((msg.values as Obj[] | undefined) ?? []).map(structValueJson);
    default:
      if (WRAPPERS.has(type.fullName)) return scalarJson(type.fields.value, msg.value ?? type.fields.value.defaultValue);
  }
  const out: Record<string, Json> = {};
  for (const field of type.fieldsArray) {
    const v = msg[field.name];
    if (v === null || v === undefined) continue;
    if (field.map) {
      const entries = Object.entries(v as Obj);
      if (!entries.length) continue;
      const map: Record<string, Json> = {};
      for (const [k, val] of entries) map[k] = valueJson(field, val);
      out[field.name] = map;
    } else if (field.repeated) {
      const list = v as unknown[];
      if (!list.length) continue;
      out[field.name] = list.map((item) => valueJson(field, item));
    } else if (field.resolvedType && !(field.resolvedType instanceof Enum)) {
      out[field.name] = messageJson(field.resolvedType, v as Obj);
    } else {
      // Fields with presence (oneof members, proto3 `optional`) are written when set, others when not default.
      if (!field.partOf && isDefaultScalar(field, v)) continue;
      out[field.name] = scalarJson(field, v);
    }
  }
  return out;
}

// ---- JSON → request object ----

function camel(name: string): string {
  return name.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
}

/** A field by its JSON (camelCase) or proto (snake_case) name. */
function fieldOf(type: Type, name: string): Field | undefined {
  return type.fields[name] ?? type.fields[camel(name)];
}

const TIME_RE = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/;

function parseTimestamp(text: string): { seconds: string; nanos: number } {
  const m = TIME_RE.exec(text);
  const ms = m ? Date.parse(`${m[1]}${m[3]}`) : NaN;
  if (!m || Number.isNaN(ms)) throw new JsonInputError(`invalid timestamp "${text}"`);
  return { seconds: String(Math.floor(ms / 1000)), nanos: m[2] ? Number(m[2].padEnd(9, '0')) : 0 };
}

function parseDuration(text: string): { seconds: string; nanos: number } {
  const m = /^(-)?(\d+)(?:\.(\d{1,9}))?s$/.exec(text);
  if (!m) throw new JsonInputError(`invalid duration "${text}" (expected e.g. "10s")`);
  const sign = m[1] ? -1 : 1;
  const nanos = m[3] ? Number(m[3].padEnd(9, '0')) : 0;
  return { seconds: `${m[1] ?? ''}${m[2]}`, nanos: sign * nanos };
}

function parseBytes(v: Json): Uint8Array {
  if (typeof v !== 'string') throw new JsonInputError('bytes must be a base64 string');
  return Buffer.from(v.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
}

const screaming = (pascal: string): string => pascal.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();

/**
 * Temporal's JSON also names enum values without their type's prefix, in PascalCase
 * (`"Skip"` for `SCHEDULE_OVERLAP_POLICY_SKIP`), as the UI sends some of them (a schedule's
 * trigger, a reset's reapply type); the official ui-server accepts both.
 */
function shorthandEnum(type: Enum, v: string): number | undefined {
  if (!/^[A-Z][A-Za-z0-9]*$/.test(v)) return undefined;
  return type.values[`${screaming(type.name)}_${screaming(v)}`];
}

function scalarValue(field: Field, v: Json, where: string): unknown {
  if (field.resolvedType instanceof Enum) {
    const values = field.resolvedType.values;
    if (typeof v === 'number') return v;
    if (typeof v === 'string' && /^-?\d+$/.test(v)) return Number(v);
    if (typeof v === 'string' && values[v] !== undefined) return values[v];
    const shorthand = typeof v === 'string' ? shorthandEnum(field.resolvedType, v) : undefined;
    if (shorthand !== undefined) return shorthand;
    throw new JsonInputError(`invalid value for enum ${where}: ${JSON.stringify(v)}`);
  }
  if (LONG_TYPES.has(field.type)) {
    if ((typeof v === 'string' && /^-?\d+$/.test(v)) || (typeof v === 'number' && Number.isInteger(v))) return String(v);
    throw new JsonInputError(`invalid integer for ${where}: ${JSON.stringify(v)}`);
  }
  if (INT_TYPES.has(field.type) || field.type === 'double' || field.type === 'float') {
    const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
    if (typeof n !== 'number' || Number.isNaN(n) || (INT_TYPES.has(field.type) && !Number.isInteger(n))) {
      throw new JsonInputError(`invalid number for ${where}: ${JSON.stringify(v)}`);
    }
    return n;
  }
  if (field.type === 'bool') {
    if (typeof v === 'boolean') return v;
    if (v === 'true' || v === 'false') return v === 'true';
    throw new JsonInputError(`invalid boolean for ${where}: ${JSON.stringify(v)}`);
  }
  if (field.type === 'bytes') return parseBytes(v);
  if (typeof v !== 'string') throw new JsonInputError(`invalid string for ${where}: ${JSON.stringify(v)}`);
  return v;
}

function structValueFrom(v: Json): Obj {
  if (v === null) return { nullValue: 0 };
  if (typeof v === 'number') return { numberValue: v };
  if (typeof v === 'string') return { stringValue: v };
  if (typeof v === 'boolean') return { boolValue: v };
  if (Array.isArray(v)) return { listValue: { values: v.map(structValueFrom) } };
  return { structValue: structFrom(v) };
}

function structFrom(v: { [key: string]: Json }): Obj {
  return { fields: Object.fromEntries(Object.entries(v).map(([k, val]) => [k, structValueFrom(val)])) };
}

function elementValue(field: Field, v: Json, where: string): unknown {
  return field.resolvedType && !(field.resolvedType instanceof Enum) ? messageFromJson(field.resolvedType, v, where) : scalarValue(field, v, where);
}

/** Request JSON (a parsed body) as the plain object the gRPC encoder takes. */
export function messageFromJson(type: Type, json: Json, where = type.name): Obj {
  switch (type.fullName) {
    case '.google.protobuf.Timestamp':
      if (typeof json !== 'string') throw new JsonInputError(`${where} must be an RFC 3339 time`);
      return parseTimestamp(json);
    case '.google.protobuf.Duration':
      if (typeof json !== 'string') throw new JsonInputError(`${where} must be a duration like "10s"`);
      return parseDuration(json);
    case '.google.protobuf.FieldMask':
      if (typeof json !== 'string') throw new JsonInputError(`${where} must be a field mask string`);
      return { paths: json ? json.split(',').map((p) => p.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)) : [] };
    case '.google.protobuf.Struct':
      if (json === null || typeof json !== 'object' || Array.isArray(json)) throw new JsonInputError(`${where} must be an object`);
      return structFrom(json);
    case '.google.protobuf.Value':
      return structValueFrom(json);
    default:
      if (WRAPPERS.has(type.fullName)) return { value: scalarValue(type.fields.value, json, where) };
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw new JsonInputError(`${where} must be an object`);
  const out: Obj = {};
  for (const [key, v] of Object.entries(json)) {
    const field = fieldOf(type, key);
    if (!field) throw new JsonInputError(`unknown field "${key}" in ${where}`);
    if (v === null) continue;
    const path = `${where}.${field.name}`;
    if (field.map) {
      if (typeof v !== 'object' || Array.isArray(v)) throw new JsonInputError(`${path} must be an object`);
      out[field.name] = Object.fromEntries(Object.entries(v).map(([k, val]) => [k, elementValue(field, val, `${path}[${k}]`)]));
    } else if (field.repeated) {
      if (!Array.isArray(v)) throw new JsonInputError(`${path} must be a list`);
      out[field.name] = v.map((item, i) => elementValue(field, item, `${path}[${i}]`));
    } else {
      out[field.name] = elementValue(field, v, path);
    }
  }
  return out;
}

/**
 * Sets one dotted field path (`execution.runId`, `next_page_token`) from a URL parameter, as
 * grpc-gateway does for path and query parameters. Unknown paths are ignored, as there.
 * Returns false when the path names no field.
 */
export function setParam(type: Type, target: Obj, path: string, value: string): boolean {
  const parts = path.split('.');
  let t = type;
  let obj = target;
  for (let i = 0; i < parts.length; i++) {
    const field = fieldOf(t, parts[i]);
    if (!field || field.map) return false;
    const last = i === parts.length - 1;
    const isMessage = field.resolvedType && !(field.resolvedType instanceof Enum);
    if (!last) {
      if (!isMessage || field.repeated) return false;
      obj = (obj[field.name] ??= {}) as Obj;
      t = field.resolvedType as Type;
      continue;
    }
    const element = isMessage ? messageFromJson(field.resolvedType as Type, value, path) : scalarValue(field, value, path);
    if (field.repeated) ((obj[field.name] ??= []) as unknown[]).push(element);
    else obj[field.name] = element;
  }
  return true;
}
