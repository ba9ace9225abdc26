import type { Execution } from '../model/state';
import { payloadValue } from '../model/payloads';
import { invalidArgument } from '../grpc/errors';
import { enums, type Payload } from '../proto';
import type { Expr, Value } from './query';

const T = enums.IndexedValueType;

export const STATUS_NAMES: Record<number, string> = {
  1: 'Running',
  2: 'Completed',
  3: 'Failed',
  4: 'Canceled',
  5: 'Terminated',
  6: 'ContinuedAsNew',
  7: 'TimedOut',
};

export type FieldValue = string | number | boolean | string[] | null;

/** Reads a record's value of a field of the given type (a run's, a schedule's). */
export type FieldReader = (field: string, type: number) => FieldValue;

/** A run's value for a search attribute, normalised: datetimes as epoch ms. */
export function fieldValue(run: Execution, field: string, type: number): FieldValue {
  const s = run.visible;
  const activity = s.kind === 'activity';
  switch (field) {
    case 'ActivityId':
      return activity ? s.workflowId : null;
    case 'ActivityType':
      return activity ? s.workflowType : null;
    case 'WorkflowId':
      return s.workflowId;
    case 'RunId':
      return s.runId;
    case 'WorkflowType':
      return s.workflowType;
    case 'TaskQueue':
      return s.taskQueue;
    case 'ExecutionStatus':
      return STATUS_NAMES[s.status] ?? null;
    case 'StartTime':
      return s.startTime;
    case 'ExecutionTime':
      return s.executionTime;
    case 'CloseTime':
      return s.closeTime ?? null;
    case 'HistoryLength':
      return run.historyLength;
    case 'ExecutionDuration':
      return s.closeTime ? (s.closeTime - s.executionTime) * 1e6 : null;
    case 'ParentWorkflowId':
      return s.parent?.workflowId ?? null;
    case 'ParentRunId':
      return s.parent?.runId ?? null;
    case 'RootWorkflowId':
      return s.root?.workflowId ?? s.workflowId;
    case 'RootRunId':
      return s.root?.runId ?? s.runId;
  }
  return attributeValue(s.searchAttributes, field, type);
}

/** A search attribute's value in a map of them, normalised: datetimes as epoch ms, keyword lists as strings. */
export function attributeValue(fields: Record<string, Payload>, field: string, type: number): FieldValue {
  const raw = payloadValue(fields[field]);
  if (raw === null || raw === undefined) return null;
  if (type === T.INDEXED_VALUE_TYPE_DATETIME) return typeof raw === 'string' ? Date.parse(raw) : Number(raw);
  if (type === T.INDEXED_VALUE_TYPE_KEYWORD_LIST) return (Array.isArray(raw) ? raw : [raw]).map((x) => (typeof x === 'string' ? x : JSON.stringify(x)));
  if (Array.isArray(raw)) return raw.length ? (raw[0] as FieldValue) : null;
  return raw as FieldValue;
}

/** Converts a literal from the query to the attribute's type. */
function literal(v: Value, type: number, field: string): string | number | boolean {
  if (type === T.INDEXED_VALUE_TYPE_DATETIME) {
    const ms = typeof v === 'number' ? v / 1e6 : Date.parse(v as string);
    if (Number.isNaN(ms)) throw invalidArgument(`invalid query: "${String(v)}" is not a datetime for ${field}`);
    return ms;
  }
  if (type === T.INDEXED_VALUE_TYPE_INT || type === T.INDEXED_VALUE_TYPE_DOUBLE) return Number(v);
  if (type === T.INDEXED_VALUE_TYPE_BOOL) return typeof v === 'boolean' ? v : String(v).toLowerCase() === 'true';
  return String(v);
}

function compare(a: string | number | boolean, b: string | number | boolean): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0;
}

export function evaluate(expr: Expr, read: FieldReader, typeOf: (field: string) => number): boolean {
  switch (expr.kind) {
    case 'true':
      return true;
    case 'and':
      return evaluate(expr.left, read, typeOf) && evaluate(expr.right, read, typeOf);
    case 'or':
      return evaluate(expr.left, read, typeOf) || evaluate(expr.right, read, typeOf);
  }
  const type = typeOf(expr.field);
  const actual = read(expr.field, type);
  if (expr.kind === 'null') return (actual === null) !== expr.negate;
  if (actual === null) return false;
  const values = Array.isArray(actual) ? actual : [actual];
  const any = (pred: (x: string | number | boolean) => boolean): boolean => values.some(pred);
  switch (expr.kind) {
    case 'cmp': {
      const want = literal(expr.value, type, expr.field);
      if (expr.op === '!=') return !any((x) => compare(x, want) === 0);
      return any((x) => {
        const c = compare(x, want);
        return expr.op === '=' ? c === 0 : expr.op === '<' ? c < 0 : expr.op === '<=' ? c <= 0 : expr.op === '>' ? c > 0 : c >= 0;
      });
    }
    case 'in': {
      const set = expr.values.map((v) => literal(v, type, expr.field));
      return any((x) => set.some((w) => compare(x, w) === 0)) !== expr.negate;
    }
    case 'between': {
      const lo = literal(expr.low, type, expr.field);
      const hi = literal(expr.high, type, expr.field);
      return any((x) => compare(x, lo) >= 0 && compare(x, hi) <= 0) !== expr.negate;
    }
    case 'startsWith':
      return any((x) => String(x).startsWith(expr.prefix)) !== expr.negate;
  }
}

/** Every field a query names, so unknown ones are rejected up front. */
export function fieldsOf(expr: Expr, out: Set<string> = new Set()): Set<string> {
  if (expr.kind === 'and' || expr.kind === 'or') {
    fieldsOf(expr.left, out);
    fieldsOf(expr.right, out);
  } else if (expr.kind !== 'true') {
    out.add((expr as { field: string }).field);
  }
  return out;
}
