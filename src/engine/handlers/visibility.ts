import type { Engine } from '../engine';
import { invalidArgument } from '../grpc/errors';
import type { Handler } from '../grpc/server';
import type { Execution } from '../model/state';
import type { CountWorkflowExecutionsReq, ListClosedWorkflowExecutionsReq, ListOpenWorkflowExecutionsReq, ListWorkflowExecutionsReq, Payload } from '../proto';
import { evaluate, fieldValue, fieldsOf, STATUS_NAMES } from '../visibility/evaluate';
import { parseQuery, type Query } from '../visibility/query';
import { executionInfo } from './describe';
import { listSchedules } from './schedules';
import { searchAttributePayload } from '../visibility/payload';

/** The clause that selects a real server's scheduler workflows (one per schedule, hidden from the usual lists). */
const SCHEDULER_DIVISION = /TemporalNamespaceDivision\s*=\s*(["'])TemporalScheduler\1/;
const RUNNING = /ExecutionStatus\s*=\s*(["'])Running\1/;

/**
 * A real server runs each schedule as a workflow of its own in the "TemporalScheduler" division,
 * and the Temporal UI counts schedules by counting those running
 * (`TemporalNamespaceDivision="TemporalScheduler" AND ExecutionStatus="Running" [AND …]`). Here
 * schedules are not workflows: such a count is the number of schedules the rest of the query
 * selects (by ScheduleId, WorkflowType, TemporalSchedulePaused or search attributes); a
 * scheduler workflow is never anything but running.
 */
function schedulerWorkflows(engine: Engine, namespace: string | null | undefined, query: string): number {
  const withoutDivision = query.replace(SCHEDULER_DIVISION, '');
  if (/ExecutionStatus/.test(withoutDivision.replace(RUNNING, ''))) return 0;
  // What is left once both clauses are gone, without the ANDs that joined them.
  const rest = withoutDivision
    .replace(RUNNING, '')
    .replace(/\bAND\s+(?=AND\b)/gi, '')
    .trim()
    .replace(/^AND\b|\bAND$/gi, '')
    .trim();
  return listSchedules(engine, namespace, rest).length;
}

/** The runs of one kind (workflows, or standalone activities) a list query selects, in its order. */
export function matching(
  engine: Engine,
  namespace: string,
  text: string | null | undefined,
  kind: 'workflow' | 'activity' = 'workflow',
): { runs: Execution[]; query: Query; typeOf: (f: string) => number } {
  const ns = engine.namespaces.get(namespace);
  const query = parseQuery(text);
  const typeOf = (f: string): number => {
    const t = engine.namespaces.attributeType(ns, f);
    if (t === undefined) throw invalidArgument(`invalid query: unknown or unsupported search attribute ${f}`);
    return t;
  };
  for (const f of fieldsOf(query.where)) typeOf(f);
  for (const o of query.orderBy) typeOf(o.field);
  const runs: Execution[] = [];
  for (const run of engine.runs.values()) {
    if (run.visible.namespace === ns.name && (run.visible.kind ?? 'workflow') === kind && evaluate(query.where, (f, t) => fieldValue(run, f, t), typeOf)) runs.push(run);
  }
  const order = query.orderBy.length ? query.orderBy : [{ field: 'StartTime', desc: true }];
  runs.sort((a, b) => {
    for (const o of order) {
      const t = typeOf(o.field);
      const x = fieldValue(a, o.field, t);
      const y = fieldValue(b, o.field, t);
      const c = x === y ? 0 : x === null ? 1 : y === null ? -1 : x < y ? -1 : 1;
      if (c) return o.desc ? -c : c;
    }
    return a.runId < b.runId ? -1 : 1;
  });
  return { runs, query, typeOf };
}

function page(
  runs: Execution[],
  size: number | null | undefined,
  token: Uint8Array | null | undefined,
): { executions: ReturnType<typeof executionInfo>[]; nextPageToken?: Buffer } {
  const offset = token && token.length ? Number(Buffer.from(token).toString('utf8')) || 0 : 0;
  const n = size && size > 0 ? size : 1000;
  const slice = runs.slice(offset, offset + n);
  const next = offset + slice.length;
  return { executions: slice.map(executionInfo), nextPageToken: next < runs.length ? Buffer.from(String(next), 'utf8') : undefined };
}

/** A count query's answer: the number, or (GROUP BY ExecutionStatus) the number in each status. */
export function countOf({ runs, query, typeOf }: ReturnType<typeof matching>): { count: number; groups?: { groupValues: Payload[]; count: number }[] } {
  if (!query.groupBy.length) return { count: runs.length };
  if (query.groupBy.length !== 1 || query.groupBy[0] !== 'ExecutionStatus') throw invalidArgument('invalid query: GROUP BY is only supported on ExecutionStatus');
  const groups = new Map<string, number>();
  for (const r of runs) {
    const v = String(fieldValue(r, 'ExecutionStatus', typeOf('ExecutionStatus')) ?? STATUS_NAMES[1]);
    groups.set(v, (groups.get(v) ?? 0) + 1);
  }
  return {
    count: runs.length,
    groups: [...groups].map(([value, count]) => ({ groupValues: [searchAttributePayload(value, 'Keyword')], count })),
  };
}

export function visibilityHandlers(engine: Engine): Record<string, Handler> {
  const list = (req: ListWorkflowExecutionsReq): ReturnType<typeof page> => {
    const { runs } = matching(engine, engine.namespaces.get(req.namespace).name, req.query);
    return page(runs, req.pageSize, req.nextPageToken);
  };
  const legacy = (req: ListOpenWorkflowExecutionsReq | ListClosedWorkflowExecutionsReq, open: boolean): ReturnType<typeof page> => {
    const ns = engine.namespaces.get(req.namespace).name;
    const runs = [...engine.runs.values()]
      .filter((r) => r.visible.namespace === ns && r.open === open && !r.visible.kind)
      .filter((r) => !req.executionFilter?.workflowId || r.visible.workflowId === req.executionFilter.workflowId)
      .filter((r) => !req.typeFilter?.name || r.visible.workflowType === req.typeFilter.name)
      .sort((a, b) => b.visible.startTime - a.visible.startTime);
    return page(runs, req.maximumPageSize, req.nextPageToken);
  };
  return {
    ListWorkflowExecutions: list,
    ScanWorkflowExecutions: list,
    ListOpenWorkflowExecutions: (req: ListOpenWorkflowExecutionsReq) => legacy(req, true),
    ListClosedWorkflowExecutions: (req: ListClosedWorkflowExecutionsReq) => legacy(req, false),
    CountWorkflowExecutions: (req: CountWorkflowExecutionsReq) =>
      SCHEDULER_DIVISION.test(req.query ?? '')
        ? { count: schedulerWorkflows(engine, req.namespace, req.query ?? '') }
        : countOf(matching(engine, engine.namespaces.get(req.namespace).name, req.query)),
  };
}
