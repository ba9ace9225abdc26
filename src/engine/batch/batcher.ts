import type { Engine } from '../engine';
import { EngineError, invalidArgument } from '../grpc/errors';
import { status } from '@grpc/grpc-js';
import { terminateRun } from '../model/close';
import { requestCancelRun, signalRun } from '../model/requests';
import { resetRun } from '../model/reset';
import type { Execution } from '../model/state';
import { enums, type Header, type Payloads } from '../proto';

const EventType = enums.EventType;
const State = enums.BatchOperationState;

/**
 * Where a batch reset takes each execution: its first or last workflow task, an event id, or
 * (a reset type the real batcher does not know) nowhere: each execution fails with the reason.
 */
export type ResetPoint = 'first' | 'last' | number | { unsupported: string };

/** What a batch job does to each execution it names. */
export type BatchAction =
  | { kind: 'terminate' }
  | { kind: 'cancel' }
  | { kind: 'signal'; signal: string; input?: Payloads; header?: Header }
  | { kind: 'delete' }
  | { kind: 'reset'; point: ResetPoint; reapplyType: number; excludeTypes: number[] };

/** A batch job as the journal keeps it: what it does, to which executions, and how far it has got. */
export interface BatchRecord {
  namespace: string;
  jobId: string;
  /** The real server runs a job as a workflow; this stands for that workflow's run id in conflict errors. */
  runId: string;
  /** BatchOperationType: TERMINATE, CANCEL, SIGNAL, DELETE or RESET. */
  type: number;
  action: BatchAction;
  reason: string;
  identity: string;
  startTime: number;
  closeTime?: number;
  /** BatchOperationState: RUNNING until every execution is done, then COMPLETED; FAILED when stopped. */
  state: number;
  /** The executions, fixed when the job starts (a query's matches then); a run id may be empty (the current run when its turn comes). */
  targets: { workflowId: string; runId: string }[];
  /** Targets before this one are done. */
  next: number;
  success: number;
  failure: number;
  /** Operations per second. */
  rps: number;
}

export const batchKey = (namespace: string, jobId: string): string => `${namespace}\u0000${jobId}`;

/** The event id a batch reset goes to: the real batcher's first or last workflow task of the run. */
function resetEventId(run: Execution, point: ResetPoint): number {
  if (typeof point === 'number') return point;
  if (typeof point === 'object') throw invalidArgument(`provided reset type (${point.unsupported}) is not supported.`);
  const events = point === 'first' ? run.events : [...run.events].reverse();
  let id = 0;
  for (const event of events) {
    const type = Number(event.eventType);
    if (type === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED) return Number(event.eventId);
    // With no completed task, the first task scheduled: the event after it.
    if (type === EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED && (point === 'last' || !id)) id = Number(event.eventId) + 1;
  }
  if (!id) throw new EngineError(status.NOT_FOUND, 'no WorkflowTaskCompleted or WorkflowTaskScheduled event found');
  return id;
}

/**
 * Batch operations, as the real server's batcher runs them: a job works through its
 * executions at most `rps` a second (the first second's at once), applying its action to each;
 * an execution that is gone or already closed (NOT_FOUND) counts as done, any other error as a
 * failure. A job is journaled whole with each second's progress; one clock timer per running
 * job wakes it, so a restart carries on where it stopped.
 */
export class Batcher {
  readonly byKey = new Map<string, BatchRecord>();

  constructor(private readonly engine: Engine) {}

  /** Jobs still running in a namespace (the real server allows one at a time by default). */
  running(namespace: string): number {
    let n = 0;
    for (const rec of this.byKey.values()) if (rec.namespace === namespace && rec.state === State.BATCH_OPERATION_STATE_RUNNING) n++;
    return n;
  }

  start(rec: BatchRecord): void {
    this.byKey.set(batchKey(rec.namespace, rec.jobId), rec);
    this.engine.touchBatch(rec);
    this.engine.log.info('batch operation started', { namespace: rec.namespace, jobId: rec.jobId, type: enums.BatchOperationType[rec.type], executions: rec.targets.length });
    this.arm(rec, this.engine.now());
  }

  /** StopBatchOperation: the job ends where it is, FAILED (the real server terminates its workflow). */
  stop(rec: BatchRecord): void {
    rec.state = State.BATCH_OPERATION_STATE_FAILED;
    rec.closeTime = this.engine.now();
    this.engine.clock.clear(`batch/${batchKey(rec.namespace, rec.jobId)}`);
    this.engine.touchBatch(rec);
    this.engine.log.info('batch operation stopped', { namespace: rec.namespace, jobId: rec.jobId, done: rec.next, of: rec.targets.length });
  }

  /** After recovery: running jobs carry on; closed ones past their namespace's retention are dropped, as the real server's job workflows are. */
  recover(records: BatchRecord[]): void {
    const now = this.engine.now();
    for (const rec of records) {
      const retention = this.engine.namespaces.byName.get(rec.namespace)?.retentionMs ?? 24 * 3600_000;
      if (rec.closeTime && rec.closeTime + retention <= now) continue;
      this.byKey.set(batchKey(rec.namespace, rec.jobId), rec);
      if (rec.state === State.BATCH_OPERATION_STATE_RUNNING) this.arm(rec, now);
    }
  }

  private arm(rec: BatchRecord, at: number): void {
    this.engine.clock.set(`batch/${batchKey(rec.namespace, rec.jobId)}`, at, () => this.wake(rec));
  }

  /** One second's worth: the next `rps` executions, in one transaction. */
  private wake(rec: BatchRecord): void {
    if (this.byKey.get(batchKey(rec.namespace, rec.jobId)) !== rec || rec.state !== State.BATCH_OPERATION_STATE_RUNNING) return;
    this.engine.tx(() => {
      const end = Math.min(rec.targets.length, rec.next + rec.rps);
      for (; rec.next < end; rec.next++) {
        const target = rec.targets[rec.next];
        try {
          this.apply(rec, target);
          rec.success++;
        } catch (err) {
          if (!(err instanceof EngineError)) throw err;
          if (err.code === status.NOT_FOUND) rec.success++;
          else {
            rec.failure++;
            this.engine.log.warn('batch operation failed on an execution', { jobId: rec.jobId, workflowId: target.workflowId, runId: target.runId, err: err.message });
          }
        }
      }
      if (rec.next >= rec.targets.length) {
        rec.state = State.BATCH_OPERATION_STATE_COMPLETED;
        rec.closeTime = this.engine.now();
        this.engine.log.info('batch operation completed', { namespace: rec.namespace, jobId: rec.jobId, success: rec.success, failure: rec.failure });
      } else this.arm(rec, this.engine.now() + 1000);
      this.engine.touchBatch(rec);
    });
  }

  /** The job's action on one execution, with the errors the matching API call would give. */
  private apply(rec: BatchRecord, target: { workflowId: string; runId: string }): void {
    const run = this.engine.findRun(rec.namespace, target);
    const action = rec.action;
    const closed = (): EngineError => new EngineError(status.NOT_FOUND, 'workflow execution already completed');
    switch (action.kind) {
      case 'terminate':
        if (!run.open) throw closed();
        terminateRun(this.engine, run, rec.reason, undefined, rec.identity);
        return;
      case 'cancel':
        if (!run.open) throw closed();
        requestCancelRun(this.engine, run, rec.reason, rec.identity);
        return;
      case 'signal':
        if (!run.open) throw closed();
        signalRun(this.engine, run, action.signal, action.input, action.header, rec.identity);
        return;
      case 'delete':
        if (run.open) terminateRun(this.engine, run, 'Delete workflow execution', undefined, 'history-service');
        this.engine.deleteRun(run);
        return;
      case 'reset':
        resetRun(this.engine, run, {
          reason: rec.reason,
          identity: rec.identity,
          requestId: '',
          workflowTaskFinishEventId: resetEventId(run, action.point),
          reapplyType: action.reapplyType,
          excludeTypes: action.excludeTypes,
        });
    }
  }
}
