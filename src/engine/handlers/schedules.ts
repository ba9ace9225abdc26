import { status } from '@grpc/grpc-js';
import type { Engine } from '../engine';
import { EngineError, failedPrecondition, invalidArgument, notFound } from '../grpc/errors';
import type { Handler } from '../grpc/server';
import { enums, type temporal, type Plain } from '../proto';
import { scheduleKey, type ScheduleRecord } from '../schedule/scheduler';
import { SpecError } from '../schedule/spec';
import { msTimestamp, timestampMs } from '../time';
import { attributeValue, evaluate } from '../visibility/evaluate';
import { parseQuery } from '../visibility/query';
import { required } from './common';

type W = typeof temporal.api.workflowservice.v1;
type Req<K extends keyof W> = W[K] extends { prototype: infer P } ? Plain<P> : never;

const T = enums.IndexedValueType;
/** What a schedule list query may name besides the namespace's custom search attributes. */
const SCHEDULE_FIELDS: Record<string, number> = {
  ScheduleId: T.INDEXED_VALUE_TYPE_KEYWORD,
  TemporalSchedulePaused: T.INDEXED_VALUE_TYPE_BOOL,
  WorkflowType: T.INDEXED_VALUE_TYPE_KEYWORD,
};

/** Spec errors are the caller's: INVALID_ARGUMENT, as the real server answers a bad spec. */
function checked<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof SpecError) throw invalidArgument(`Invalid schedule spec: ${err.message}`);
    throw err;
  }
}

function checkAction(schedule: Req<'CreateScheduleRequest'>['schedule']): void {
  const start = schedule?.action?.startWorkflow;
  if (!start) throw invalidArgument('Schedule action is not set.');
  required(start.workflowId, 'WorkflowId');
  required(start.workflowType?.name, 'WorkflowType');
  required(start.taskQueue?.name, 'TaskQueue');
}

/** The schedules of a namespace a list query selects (ScheduleId, TemporalSchedulePaused, WorkflowType and search attributes), by id. */
export function listSchedules(engine: Engine, namespace: string | null | undefined, query: string | null | undefined): ScheduleRecord[] {
  const ns = engine.namespaces.get(namespace);
  const q = parseQuery(query);
  const typeOf = (f: string): number => {
    const t = SCHEDULE_FIELDS[f] ?? ns.searchAttributes[f];
    if (t === undefined) throw invalidArgument(`invalid query: unknown or unsupported search attribute ${f}`);
    return t;
  };
  const read = (rec: ScheduleRecord) => (field: string, type: number) =>
    field === 'ScheduleId'
      ? rec.scheduleId
      : field === 'TemporalSchedulePaused'
        ? !!rec.schedule.state?.paused
        : field === 'WorkflowType'
          ? (rec.schedule.action?.startWorkflow?.workflowType?.name ?? null)
          : attributeValue(rec.searchAttributes, field, type);
  return [...engine.scheduler.byKey.values()]
    .filter((rec) => rec.namespace === ns.name && evaluate(q.where, read(rec), typeOf))
    .sort((a, b) => (a.scheduleId < b.scheduleId ? -1 : 1));
}

export function scheduleHandlers(engine: Engine): Record<string, Handler> {
  const scheduler = engine.scheduler;
  const find = (req: { namespace?: string | null; scheduleId?: string | null }): ScheduleRecord => {
    const ns = engine.namespaces.get(req.namespace).name;
    const id = required(req.scheduleId, 'ScheduleId');
    const rec = scheduler.byKey.get(scheduleKey(ns, id));
    if (!rec) throw notFound(`schedule not found: ${id}`);
    return rec;
  };
  const listed = (namespace: string | null | undefined, query: string | null | undefined): ScheduleRecord[] => listSchedules(engine, namespace, query);
  const listEntry = (rec: ScheduleRecord): object => ({
    scheduleId: rec.scheduleId,
    memo: { fields: rec.memo },
    searchAttributes: { indexedFields: rec.searchAttributes },
    info: {
      spec: rec.schedule.spec,
      workflowType: rec.schedule.action?.startWorkflow?.workflowType,
      notes: rec.schedule.state?.notes ?? '',
      paused: !!rec.schedule.state?.paused,
      recentActions: (scheduler.info(rec).recentActions as object[]).slice(-3),
      futureActionTimes: scheduler.futureTimes(rec, 5).map(msTimestamp),
    },
  });

  return {
    CreateSchedule: (req: Req<'CreateScheduleRequest'>) => {
      const ns = engine.namespaces.get(req.namespace).name;
      const id = required(req.scheduleId, 'ScheduleId');
      checkAction(req.schedule);
      const saError = engine.checkSearchAttributes(ns, req.searchAttributes?.indexedFields);
      if (saError) throw invalidArgument(saError);
      if (scheduler.byKey.has(scheduleKey(ns, id))) throw new EngineError(status.ALREADY_EXISTS, 'Schedule with this ID is already registered.');
      const rec = engine.tx(() => checked(() => scheduler.create(ns, id, req.schedule ?? {}, req.memo?.fields ?? {}, req.searchAttributes?.indexedFields ?? {}, req.initialPatch)));
      return { conflictToken: Buffer.from(String(rec.version)) };
    },

    DescribeSchedule: (req: Req<'DescribeScheduleRequest'>) => {
      const rec = find(req);
      return {
        schedule: rec.schedule,
        info: scheduler.info(rec),
        memo: { fields: rec.memo },
        searchAttributes: { indexedFields: rec.searchAttributes },
        conflictToken: Buffer.from(String(rec.version)),
      };
    },

    UpdateSchedule: (req: Req<'UpdateScheduleRequest'>) => {
      const rec = find(req);
      checkAction(req.schedule);
      if (req.conflictToken?.length && Buffer.from(req.conflictToken).toString() !== String(rec.version)) throw failedPrecondition('mismatched conflict token');
      const saError = engine.checkSearchAttributes(rec.namespace, req.searchAttributes?.indexedFields);
      if (saError) throw invalidArgument(saError);
      engine.tx(() => checked(() => scheduler.update(rec, req.schedule ?? {}, req.searchAttributes?.indexedFields)));
      return {};
    },

    PatchSchedule: (req: Req<'PatchScheduleRequest'>) => {
      const rec = find(req);
      engine.tx(() => scheduler.patch(rec, req.patch ?? {}));
      return {};
    },

    ListScheduleMatchingTimes: (req: Req<'ListScheduleMatchingTimesRequest'>) => {
      const rec = find(req);
      return { startTime: scheduler.matchingTimes(rec, timestampMs(req.startTime), timestampMs(req.endTime)).map(msTimestamp) };
    },

    DeleteSchedule: (req: Req<'DeleteScheduleRequest'>) => {
      const rec = find(req);
      engine.tx(() => scheduler.delete(rec));
      return {};
    },

    ListSchedules: (req: Req<'ListSchedulesRequest'>) => {
      const all = listed(req.namespace, req.query);
      const offset = req.nextPageToken?.length ? Number(Buffer.from(req.nextPageToken).toString()) || 0 : 0;
      const size = req.maximumPageSize && req.maximumPageSize > 0 ? req.maximumPageSize : 1000;
      const page = all.slice(offset, offset + size);
      const next = offset + page.length;
      return { schedules: page.map(listEntry), nextPageToken: next < all.length ? Buffer.from(String(next)) : undefined };
    },

    CountSchedules: (req: Req<'CountSchedulesRequest'>) => ({ count: listed(req.namespace, req.query).length }),
  };
}
