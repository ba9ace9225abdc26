import type { Engine } from '../engine';
import { EngineError } from '../grpc/errors';
import { terminateRun } from '../model/close';
import { payloadValue } from '../model/payloads';
import { requestCancelRun } from '../model/requests';
import { createRun, resolveIdConflict } from '../model/start';
import type { Execution } from '../model/state';
import { enums, type Payload, type temporal, type Plain } from '../proto';
import { durationMs, msTimestamp } from '../time';
import { searchAttributePayload } from '../visibility/payload';
import { compileSpec, jitterOf, nextTime, specToProto, type Spec } from './spec';

export type ScheduleProto = Plain<temporal.api.schedule.v1.Schedule.$Properties>;
type PatchProto = Plain<temporal.api.schedule.v1.SchedulePatch.$Properties>;

const Overlap = enums.ScheduleOverlapPolicy;
const Status = enums.WorkflowExecutionStatus;
const DEFAULT_CATCHUP_MS = 365 * 86_400_000;
const MIN_CATCHUP_MS = 10_000;
const RECENT = 10;
/** At most this many scheduled times are worked through in one go (a long downtime); the rest follow at once. */
const BATCH = 1000;

export interface ActionResult {
  scheduleMs: number;
  actualMs: number;
  workflowId: string;
  runId: string;
  status: number;
}

/** A schedule as the journal keeps it: its definition, counters, what it started, and how far it has got. */
export interface ScheduleRecord {
  namespace: string;
  scheduleId: string;
  /** The schedule with its spec compiled (structured calendars and intervals only) and policies filled in. */
  schedule: ScheduleProto;
  memo: Record<string, Payload>;
  searchAttributes: Record<string, Payload>;
  createTime: number;
  updateTime: number;
  /** The conflict token: bumps on every change of the definition. */
  version: number;
  actionCount: number;
  missedCatchupWindow: number;
  overlapSkipped: number;
  bufferDropped: number;
  recentActions: ActionResult[];
  /** Workflows it started that may still run (first runs; a chain of retries or continue-as-new counts as one). */
  running: { workflowId: string; runId: string }[];
  /** Actions the overlap policy holds back until the running ones close. */
  buffer: { nominalMs: number; overlap: number }[];
  /** Scheduled times up to here have been acted on (or skipped). */
  lastNominalMs: number;
}

export const scheduleKey = (namespace: string, scheduleId: string): string => `${namespace}\u0000${scheduleId}`;
const isoSecond = (ms: number): string => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');

/**
 * Schedules, as the real server runs them: at each time of the spec (plus jitter) the action
 * starts a workflow named `<workflow id>-<time>`, marked with TemporalScheduledStartTime and
 * TemporalScheduledById, under the overlap policy (skip, buffer one or all, cancel or terminate
 * the other, allow all); missed times within the catch-up window are made up after downtime;
 * paused schedules take no scheduled action; pause-on-failure pauses on a failed or timed-out
 * workflow; limited actions count down. Triggers and backfills act at once. Every change is
 * journaled with the schedule whole; one clock timer per schedule wakes it.
 */
export class Scheduler {
  readonly byKey = new Map<string, ScheduleRecord>();
  private readonly specs = new Map<string, Spec>();

  constructor(private readonly engine: Engine) {}

  /** The schedule's compiled spec (kept compiled in memory; the record holds its API form). */
  spec(rec: ScheduleRecord): Spec {
    const key = scheduleKey(rec.namespace, rec.scheduleId);
    let spec = this.specs.get(key);
    if (!spec) {
      spec = compileSpec(rec.schedule.spec ?? {});
      this.specs.set(key, spec);
    }
    return spec;
  }

  /** Checks and normalises a schedule definition (spec compiled, policies filled in); throws EngineError-ready SpecErrors. */
  normalize(schedule: ScheduleProto): ScheduleProto {
    const spec = compileSpec(schedule.spec ?? {});
    const policies = schedule.policies ?? {};
    const catchup = Math.max(durationMs(policies.catchupWindow) || DEFAULT_CATCHUP_MS, MIN_CATCHUP_MS);
    return {
      ...schedule,
      spec: specToProto(spec),
      policies: {
        ...policies,
        overlapPolicy: Number(policies.overlapPolicy) || Overlap.SCHEDULE_OVERLAP_POLICY_SKIP,
        catchupWindow: { seconds: Math.floor(catchup / 1000), nanos: (catchup % 1000) * 1e6 },
      },
      state: { ...schedule.state, paused: !!schedule.state?.paused, notes: schedule.state?.notes ?? '' },
    };
  }

  create(
    namespace: string,
    scheduleId: string,
    schedule: ScheduleProto,
    memo: Record<string, Payload>,
    searchAttributes: Record<string, Payload>,
    patch: PatchProto | null | undefined,
  ): ScheduleRecord {
    const now = this.engine.now();
    const rec: ScheduleRecord = {
      namespace,
      scheduleId,
      schedule: this.normalize(schedule),
      memo,
      searchAttributes: this.engine.typedSearchAttributes(namespace, searchAttributes),
      createTime: now,
      updateTime: now,
      version: 1,
      actionCount: 0,
      missedCatchupWindow: 0,
      overlapSkipped: 0,
      bufferDropped: 0,
      recentActions: [],
      running: [],
      buffer: [],
      lastNominalMs: now,
    };
    this.byKey.set(scheduleKey(namespace, scheduleId), rec);
    this.engine.touchSchedule(rec);
    this.engine.log.info('schedule created', { namespace, scheduleId });
    if (patch) this.patch(rec, patch);
    this.arm(rec);
    return rec;
  }

  update(rec: ScheduleRecord, schedule: ScheduleProto, searchAttributes: Record<string, Payload> | null | undefined): void {
    const wasPaused = !!rec.schedule.state?.paused;
    rec.schedule = this.normalize(schedule);
    this.specs.delete(scheduleKey(rec.namespace, rec.scheduleId));
    if (searchAttributes) rec.searchAttributes = this.engine.typedSearchAttributes(rec.namespace, searchAttributes);
    // Unpaused by the update: times that passed while paused are not made up.
    if (wasPaused && !rec.schedule.state?.paused) rec.lastNominalMs = Math.max(rec.lastNominalMs, this.engine.now());
    this.changed(rec);
  }

  /** PatchSchedule (and CreateSchedule's initial patch): trigger now, backfill, pause or unpause. */
  patch(rec: ScheduleRecord, patch: PatchProto): void {
    const now = this.engine.now();
    const policy = (given: number | null | undefined): number => Number(given) || Number(rec.schedule.policies?.overlapPolicy) || Overlap.SCHEDULE_OVERLAP_POLICY_SKIP;
    if (patch.pause) this.setPaused(rec, true, patch.pause);
    if (patch.unpause) this.setPaused(rec, false, patch.unpause);
    if (patch.triggerImmediately) {
      const at = patch.triggerImmediately.scheduledTime ? Number(patch.triggerImmediately.scheduledTime.seconds ?? 0) * 1000 : now;
      this.act(rec, at, now, policy(patch.triggerImmediately.overlapPolicy));
    }
    for (const backfill of patch.backfillRequest ?? []) {
      const start = Number(backfill.startTime?.seconds ?? 0) * 1000;
      const end = Number(backfill.endTime?.seconds ?? 0) * 1000;
      const spec = this.spec(rec);
      // Exclusive of the start, inclusive of the end, as the real server (jitter that pushes a time past the end drops it).
      let t = nextTime(spec, start);
      for (let n = 0; t !== undefined && t <= end && n < BATCH; n++) {
        if (t + jitterOf(spec, rec.scheduleId, t) <= end) this.act(rec, t, now, policy(backfill.overlapPolicy));
        t = nextTime(spec, t);
      }
    }
    this.changed(rec);
  }

  delete(rec: ScheduleRecord): void {
    const key = scheduleKey(rec.namespace, rec.scheduleId);
    this.byKey.delete(key);
    this.specs.delete(key);
    this.engine.clock.clear(`schedule/${key}`);
    this.engine.scheduleDeleted(key);
    this.engine.log.info('schedule deleted', { namespace: rec.namespace, scheduleId: rec.scheduleId });
  }

  /** The next `n` times the schedule will act at (jitter included), from now. */
  futureTimes(rec: ScheduleRecord, n: number): number[] {
    const spec = this.spec(rec);
    const state = rec.schedule.state;
    const limit = state?.limitedActions ? Math.min(n, Number(state.remainingActions ?? 0)) : n;
    const out: number[] = [];
    for (let t = nextTime(spec, Math.max(rec.lastNominalMs, this.engine.now())); t !== undefined && out.length < limit; t = nextTime(spec, t))
      out.push(t + jitterOf(spec, rec.scheduleId, t));
    return out;
  }

  /** Matching times in a range (ListScheduleMatchingTimes), jitter included. */
  matchingTimes(rec: ScheduleRecord, startMs: number, endMs: number): number[] {
    const spec = this.spec(rec);
    const out: number[] = [];
    for (let t = nextTime(spec, startMs); t !== undefined && t <= endMs && out.length < BATCH; t = nextTime(spec, t)) out.push(t + jitterOf(spec, rec.scheduleId, t));
    return out;
  }

  /** A workflow closed: if a schedule started it, it no longer counts as running, and may pause the schedule or free the buffer. */
  runClosed(run: Execution): void {
    const scheduleId = payloadValue(run.state.searchAttributes.TemporalScheduledById);
    if (typeof scheduleId !== 'string') return;
    const rec = this.byKey.get(scheduleKey(run.state.namespace, scheduleId));
    if (!rec) return;
    // A failed run that is retried, or one that continued as new, goes on under the same workflow id.
    const continued = !!(
      run.lastEvent?.workflowExecutionFailedEventAttributes?.newExecutionRunId ||
      run.lastEvent?.workflowExecutionTimedOutEventAttributes?.newExecutionRunId ||
      run.lastEvent?.workflowExecutionContinuedAsNewEventAttributes
    );
    if (continued) return;
    for (const action of rec.recentActions) if (action.workflowId === run.state.workflowId) action.status = run.state.status;
    rec.running = rec.running.filter((r) => r.workflowId !== run.state.workflowId);
    const failed = run.state.status === Status.WORKFLOW_EXECUTION_STATUS_FAILED || run.state.status === Status.WORKFLOW_EXECUTION_STATUS_TIMED_OUT;
    if (failed && rec.schedule.policies?.pauseOnFailure)
      this.setPaused(
        rec,
        true,
        `Schedule paused due to workflow failure: ${run.state.workflowId}: ${run.lastEvent?.workflowExecutionFailedEventAttributes?.failure?.message ?? 'timed out'}`,
      );
    this.engine.touchSchedule(rec);
    // Buffered actions start in a transaction of their own, not inside the close that freed them.
    if (rec.buffer.length) this.engine.clock.set(`schedule/${scheduleKey(rec.namespace, rec.scheduleId)}`, this.engine.now(), () => this.wake(rec));
  }

  /** After recovery: every schedule catches up on what it missed (within its catch-up window) and re-arms. */
  recover(records: ScheduleRecord[]): void {
    for (const rec of records) this.byKey.set(scheduleKey(rec.namespace, rec.scheduleId), rec);
    for (const rec of records) this.arm(rec, true);
  }

  private setPaused(rec: ScheduleRecord, paused: boolean, notes: string): void {
    const was = !!rec.schedule.state?.paused;
    rec.schedule = { ...rec.schedule, state: { ...rec.schedule.state, paused, notes } };
    // Times that passed while paused are not made up.
    if (was && !paused) rec.lastNominalMs = Math.max(rec.lastNominalMs, this.engine.now());
    this.engine.log.info(paused ? 'schedule paused' : 'schedule unpaused', { namespace: rec.namespace, scheduleId: rec.scheduleId, notes });
  }

  private changed(rec: ScheduleRecord): void {
    rec.version++;
    rec.updateTime = this.engine.now();
    this.engine.touchSchedule(rec);
    this.arm(rec);
  }

  /**
   * Sets the schedule's one timer for its next action, or for now when `catchUp` (after a
   * restart). A buffer waits for the running workflows to close (runClosed wakes it then).
   */
  private arm(rec: ScheduleRecord, catchUp = false): void {
    const key = `schedule/${scheduleKey(rec.namespace, rec.scheduleId)}`;
    if (catchUp) {
      this.engine.clock.set(key, this.engine.now(), () => this.wake(rec));
      return;
    }
    const spec = this.spec(rec);
    const next = rec.schedule.state?.paused ? undefined : nextTime(spec, rec.lastNominalMs);
    if (next === undefined) this.engine.clock.clear(key);
    else this.engine.clock.set(key, next + jitterOf(spec, rec.scheduleId, next), () => this.wake(rec));
  }

  /** The timer fired: act on every time now due, start what the buffer may, re-arm. */
  private wake(rec: ScheduleRecord): void {
    if (this.byKey.get(scheduleKey(rec.namespace, rec.scheduleId)) !== rec) return;
    this.engine.tx(() => {
      const now = this.engine.now();
      this.drainBuffer(rec, now);
      const spec = this.spec(rec);
      const catchupMs = durationMs(rec.schedule.policies?.catchupWindow) || DEFAULT_CATCHUP_MS;
      for (let n = 0; n < BATCH && !rec.schedule.state?.paused; n++) {
        const t = nextTime(spec, rec.lastNominalMs);
        if (t === undefined) break;
        const actual = t + jitterOf(spec, rec.scheduleId, t);
        if (actual > now) break;
        rec.lastNominalMs = t;
        const state = rec.schedule.state;
        if (now - actual > catchupMs) rec.missedCatchupWindow++;
        else if (!state?.limitedActions || Number(state.remainingActions ?? 0) > 0) {
          if (state?.limitedActions) rec.schedule = { ...rec.schedule, state: { ...state, remainingActions: Number(state.remainingActions ?? 0) - 1 } };
          this.act(rec, t, actual, Number(rec.schedule.policies?.overlapPolicy) || Overlap.SCHEDULE_OVERLAP_POLICY_SKIP);
        }
      }
      this.engine.touchSchedule(rec);
      this.arm(rec);
    });
  }

  /** One action under an overlap policy: start now, skip, buffer, or end the running ones first. */
  private act(rec: ScheduleRecord, nominalMs: number, actualMs: number, overlap: number): void {
    const running = this.stillRunning(rec);
    if (!running.length || overlap === Overlap.SCHEDULE_OVERLAP_POLICY_ALLOW_ALL) {
      this.start(rec, nominalMs, actualMs);
      return;
    }
    switch (overlap) {
      case Overlap.SCHEDULE_OVERLAP_POLICY_BUFFER_ONE:
        if (rec.buffer.length) rec.bufferDropped++;
        else rec.buffer.push({ nominalMs, overlap });
        return;
      case Overlap.SCHEDULE_OVERLAP_POLICY_BUFFER_ALL:
        rec.buffer.push({ nominalMs, overlap });
        return;
      case Overlap.SCHEDULE_OVERLAP_POLICY_CANCEL_OTHER:
        for (const run of running) requestCancelRun(this.engine, run, 'cancelled by schedule overlap policy', 'temporal-scheduler');
        rec.buffer.push({ nominalMs, overlap });
        return;
      case Overlap.SCHEDULE_OVERLAP_POLICY_TERMINATE_OTHER:
        for (const run of running) terminateRun(this.engine, run, 'terminated by schedule overlap policy', undefined, 'temporal-scheduler');
        this.start(rec, nominalMs, actualMs);
        return;
      default:
        rec.overlapSkipped++;
    }
  }

  /** Starts buffered actions while nothing the schedule started runs (one at a time unless ALLOW_ALL). */
  private drainBuffer(rec: ScheduleRecord, now: number): void {
    while (rec.buffer.length && !this.stillRunning(rec).length) {
      const next = rec.buffer.shift() as { nominalMs: number };
      this.start(rec, next.nominalMs, now);
    }
  }

  /** The current runs of the workflows the schedule started that are still open; forgets the others. */
  private stillRunning(rec: ScheduleRecord): Execution[] {
    const runs: Execution[] = [];
    rec.running = rec.running.filter((r) => {
      const run = this.engine.currentRun(rec.namespace, r.workflowId);
      if (run?.open) runs.push(run);
      return !!run?.open;
    });
    return runs;
  }

  private start(rec: ScheduleRecord, nominalMs: number, actualMs: number): void {
    const action = rec.schedule.action?.startWorkflow;
    if (!action?.workflowId || !action.workflowType?.name || !action.taskQueue?.name) return;
    const workflowId = rec.schedule.policies?.keepOriginalWorkflowId ? action.workflowId : `${action.workflowId}-${isoSecond(nominalMs)}`;
    const requestId = `${rec.scheduleId}:${nominalMs}:${rec.actionCount}`;
    try {
      const existing = resolveIdConflict(this.engine, rec.namespace, workflowId, requestId, { reuse: Number(action.workflowIdReusePolicy ?? 0), conflict: 0 });
      if (existing) return;
    } catch (err) {
      // That workflow id is taken (a trigger in the same second, say): the action is not taken.
      if (!(err instanceof EngineError)) throw err;
      this.engine.log.warn('schedule action skipped: its workflow id is in use', { namespace: rec.namespace, scheduleId: rec.scheduleId, workflowId });
      return;
    }
    const run = createRun(this.engine, {
      namespace: rec.namespace,
      workflowId,
      workflowType: action.workflowType.name,
      taskQueue: action.taskQueue.name,
      input: action.input,
      header: action.header,
      memo: action.memo?.fields,
      searchAttributes: {
        ...action.searchAttributes?.indexedFields,
        TemporalScheduledStartTime: searchAttributePayload(new Date(actualMs).toISOString(), 'Datetime'),
        TemporalScheduledById: searchAttributePayload(rec.scheduleId, 'Keyword'),
      },
      executionTimeoutMs: durationMs(action.workflowExecutionTimeout),
      runTimeoutMs: durationMs(action.workflowRunTimeout),
      taskTimeoutMs: durationMs(action.workflowTaskTimeout),
      retryPolicy: action.retryPolicy,
      identity: 'temporal-scheduler',
      requestId,
      userMetadata: action.userMetadata,
      priority: action.priority,
    });
    rec.actionCount++;
    rec.running.push({ workflowId, runId: run.runId });
    rec.recentActions = [
      ...rec.recentActions,
      { scheduleMs: actualMs, actualMs: this.engine.now(), workflowId, runId: run.runId, status: Status.WORKFLOW_EXECUTION_STATUS_RUNNING },
    ].slice(-RECENT);
    this.engine.touchSchedule(rec);
  }

  /** The info DescribeSchedule returns. */
  info(rec: ScheduleRecord): Record<string, unknown> {
    return {
      actionCount: rec.actionCount,
      missedCatchupWindow: rec.missedCatchupWindow,
      overlapSkipped: rec.overlapSkipped,
      bufferDropped: rec.bufferDropped,
      bufferSize: rec.buffer.length,
      runningWorkflows: this.stillRunning(rec).map((run) => ({
        workflowId: run.state.workflowId,
        runId: rec.running.find((r) => r.workflowId === run.state.workflowId)?.runId ?? run.runId,
      })),
      recentActions: rec.recentActions.map((a) => ({
        scheduleTime: msTimestamp(a.scheduleMs),
        actualTime: msTimestamp(a.actualMs),
        startWorkflowResult: { workflowId: a.workflowId, runId: a.runId },
        startWorkflowStatus: a.status,
      })),
      futureActionTimes: this.futureTimes(rec, 10).map(msTimestamp),
      createTime: msTimestamp(rec.createTime),
      updateTime: msTimestamp(rec.updateTime),
    };
  }
}
