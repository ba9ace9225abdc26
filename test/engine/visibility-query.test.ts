import { Execution, type RunState } from '../../src/engine/model/state';
import { evaluate, fieldValue } from '../../src/engine/visibility/evaluate';
import { parseQuery } from '../../src/engine/visibility/query';
import { DEFAULT_CUSTOM_SEARCH_ATTRIBUTES, SYSTEM_SEARCH_ATTRIBUTES } from '../../src/engine/namespaces';

const json = (v: unknown): { metadata: Record<string, Uint8Array>; data: Uint8Array } => ({
  metadata: { encoding: Buffer.from('json/plain'), type: Buffer.from('Keyword') },
  data: Buffer.from(JSON.stringify(v)),
});

function run(partial: Partial<RunState>, attrs: Record<string, unknown> = {}): Execution {
  const searchAttributes = Object.fromEntries(Object.entries(attrs).map(([k, v]) => [k, json(v)]));
  return new Execution(
    { workflowId: 'wf', runId: 'r', workflowType: 'faxWorkflow', status: 1, startTime: Date.parse('2026-01-10T00:00:00Z'), searchAttributes, ...partial } as RunState,
    [],
  );
}

const typeOf = (f: string): number => SYSTEM_SEARCH_ATTRIBUTES[f] ?? DEFAULT_CUSTOM_SEARCH_ATTRIBUTES[f];
const matches = (query: string, r: Execution): boolean => evaluate(parseQuery(query).where, (f, t) => fieldValue(r, f, t), typeOf);

test('comparisons, AND/OR and parentheses', () => {
  const r = run({ workflowId: 'fax-1', status: 2 }, { CustomKeywordField: 'paid', CustomIntField: 3 });
  expect(matches(`WorkflowId = 'fax-1'`, r)).toBe(true);
  expect(matches(`WorkflowId = "fax-2"`, r)).toBe(false);
  expect(matches(`ExecutionStatus = 'Completed' AND CustomKeywordField = 'paid'`, r)).toBe(true);
  expect(matches(`ExecutionStatus = 'Running' AND CustomKeywordField = 'paid'`, r)).toBe(false);
  expect(matches(`ExecutionStatus = 'Running' OR (CustomIntField > 2 AND CustomIntField <= 3)`, r)).toBe(true);
  expect(matches(`CustomIntField != 3`, r)).toBe(false);
  expect(matches(`WorkflowType IN ('faxWorkflow', 'other') AND WorkflowId STARTS_WITH 'fax-'`, r)).toBe(true);
  expect(matches(`WorkflowId NOT IN ('fax-1')`, r)).toBe(false);
  expect(matches(`CustomBoolField IS NULL AND CustomKeywordField IS NOT NULL`, r)).toBe(true);
});

test('start time ranges compare as instants', () => {
  const r = run({});
  expect(matches(`StartTime > '2026-01-01T00:00:00Z'`, r)).toBe(true);
  expect(matches(`StartTime BETWEEN '2026-01-09T00:00:00Z' AND '2026-01-11T00:00:00+00:00'`, r)).toBe(true);
  expect(matches(`StartTime < '2026-01-10T00:00:00Z'`, r)).toBe(false);
  expect(() => matches(`StartTime > 'yesterday'`, r)).toThrow(/not a datetime/);
});

test('ORDER BY and GROUP BY are parsed; malformed queries are rejected with a reason', () => {
  expect(parseQuery(`WorkflowType = 'x' ORDER BY StartTime DESC`).orderBy).toEqual([{ field: 'StartTime', desc: true }]);
  expect(parseQuery(`GROUP BY ExecutionStatus`).groupBy).toEqual(['ExecutionStatus']);
  expect(parseQuery('').where).toEqual({ kind: 'true' });
  expect(() => parseQuery(`WorkflowId = `)).toThrow(/invalid query/);
  expect(() => parseQuery(`WorkflowId = 'a' AND`)).toThrow(/invalid query/);
  expect(() => parseQuery(`WorkflowId = 'unterminated`)).toThrow(/unterminated/);
});
