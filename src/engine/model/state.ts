import type { Failure, HistoryEvent, Payload, Payloads, RetryPolicy, UpdateOutcome, UpdateRequest, WorkflowExecutionStatus } from '../proto';
import { enums } from '../proto';

/** A retry policy with every default filled in, in milliseconds (maxAttempts 0 = unlimited). */
export interface Retry {
  initialMs: number;
  coefficient: number;
  maxIntervalMs: number;
  maxAttempts: number;
  nonRetryable: string[];
}

export interface ActivityState {
  scheduledEventId: number;
  activityId: string;
  activityType: string;
  taskQueue: string;
  attempt: number;
  /** `backoff`: waiting for the next attempt; `paused`: held by an operator; the worker has nothing in either. */
  phase: 'scheduled' | 'started' | 'backoff' | 'paused';
  scheduledTime: number;
  attemptScheduledTime: number;
  startedTime?: number;
  identity?: string;
  requestId?: string;
  lastHeartbeatTime?: number;
  heartbeatDetails?: Payloads;
  lastFailure?: Failure;
  lastAttemptCompleteTime?: number;
  cancelRequestedEventId?: number;
  scheduleToCloseMs: number;
  scheduleToStartMs: number;
  startToCloseMs: number;
  heartbeatMs: number;
  retry: Retry;
  retryAt?: number;
  /** Paused by an operator (PauseActivity): no attempt is dispatched; a running one learns it from its heartbeat. */
  paused?: { time: number; identity: string; reason: string; requestId?: string };
  /** Reset (ResetActivity) while an attempt ran: its heartbeat says so, and its end starts attempt 1 at once. */
  resetPending?: boolean;
  /** The reset also drops the heartbeat details, when that attempt ends. */
  resetHeartbeat?: boolean;
}

export interface TimerState {
  timerId: string;
  startedEventId: number;
  due: number;
}

export interface ChildState {
  initiatedEventId: number;
  namespace: string;
  workflowId: string;
  workflowType: string;
  runId?: string;
  startedEventId?: number;
  parentClosePolicy: number;
}

export interface WftState {
  /** Identifies this task in its token; bumps on every new workflow task. */
  seq: number;
  attempt: number;
  phase: 'scheduled' | 'started';
  /** Attempt > 1: its scheduled/started events are written only if it completes (like the real server). */
  transient: boolean;
  queue: string;
  sticky: boolean;
  scheduledEventId: number;
  startedEventId: number;
  scheduledTime: number;
  startedTime?: number;
  identity?: string;
  requestId?: string;
  transientEvents?: HistoryEvent[];
}

/** An event that arrived while a workflow task was running; numbered when written. */
export interface BufferedEvent {
  event: HistoryEvent;
  /** Attribute field whose `startedEventId` points at the event just before it (activity results). */
  startedRef?: string;
}

/**
 * A Nexus operation the workflow scheduled, until it ends. Its start request is a task for the
 * endpoint's workers: `scheduled` while one is out, `backoff` between attempts, `started` once an
 * asynchronous operation's handler answered with a token (its end comes by completion callback).
 */
export interface NexusOperationState {
  scheduledEventId: number;
  endpoint: string;
  endpointId: string;
  service: string;
  operation: string;
  requestId: string;
  scheduledTime: number;
  scheduleToCloseMs: number;
  /** Until the operation starts (or completes at once); 0 for none. */
  scheduleToStartMs?: number;
  /** From its start (an asynchronous operation) to its end; 0 for none. */
  startToCloseMs?: number;
  startedTime?: number;
  phase: 'scheduled' | 'backoff' | 'started';
  attempt: number;
  operationToken?: string;
  lastFailure?: Failure;
  lastAttemptCompleteTime?: number;
  retryAt?: number;
  /** The workflow asked to cancel the started operation: the request to the handler, its attempts and outcome. */
  cancel?: {
    requestedEventId: number;
    requestedTime: number;
    phase: 'sent' | 'backoff' | 'succeeded' | 'failed';
    attempt: number;
    retryAt?: number;
    lastFailure?: Failure;
    lastAttemptCompleteTime?: number;
  };
}

/** A workflow update: admitted until the worker accepts (or rejects) it, then completed. */
export interface UpdateState {
  updateId: string;
  request: UpdateRequest;
  /** `aborted`: its run closed before the worker saw it (it may be retried on the run that carries on). */
  stage: 'admitted' | 'accepted' | 'completed' | 'aborted';
  /** The workflow task (its seq) that carried the request to the worker. */
  deliveredIn?: number;
  /** Its UpdateAdmitted event, when it was admitted durably (reapplied by a reset). */
  admittedEventId?: number;
  acceptedEventId?: number;
  outcome?: UpdateOutcome;
}

export interface ParentRef {
  namespace: string;
  workflowId: string;
  runId: string;
  initiatedEventId: number;
}

/** How a standalone activity ended (its result, or why it did not complete). */
export interface ActivityOutcome {
  result?: Payloads;
  failure?: Failure;
  retryState?: number;
}

/** Everything about one run except its history: what the journal writes after each change. */
export interface RunState {
  /**
   * `activity`: a standalone activity (StartActivityExecution), hosted as a run without a
   * workflow: its activity id stands where a workflow id would, its one activity in
   * `activities`. Absent for workflows (and in journals written before).
   */
  kind?: 'activity';
  /** The run that reset replaced this one with (the latest, if reset again); absent if never reset. */
  resetRunId?: string;
  /** When a reset made this run. */
  lastResetTime?: number;
  /**
   * Worker versioning: the behavior (VersioningBehavior) and version the last worker to
   * complete a workflow task reported; absent while unversioned workers run it.
   */
  versioning?: { behavior: number; version: { deploymentName: string; buildId: string } };
  /** Nexus operations the workflow scheduled that have not ended (absent in journals written before Nexus). */
  nexusOps?: Record<string, NexusOperationState>;
  /** A Nexus handler's workflow: the callbacks that get its outcome when it closes (the caller's operation). */
  completionCallbacks?: { url: string; header: Record<string, string> }[];
  /** An operator's override (at start, or UpdateWorkflowExecutionOptions): pinned to a version, or auto-upgrade. */
  versioningOverride?: { behavior: number; version?: { deploymentName: string; buildId: string } };
  /** A standalone activity's end, and its activity as it was then (describe). */
  outcome?: ActivityOutcome;
  finalActivity?: ActivityState;
  /** Why a standalone activity was asked to cancel. */
  cancelReason?: string;
  namespace: string;
  workflowId: string;
  runId: string;
  workflowType: string;
  taskQueue: string;
  status: WorkflowExecutionStatus;
  startTime: number;
  executionTime: number;
  closeTime?: number;
  requestId: string;
  firstRunId: string;
  parent?: ParentRef;
  root?: { workflowId: string; runId: string };
  memo: Record<string, Payload>;
  searchAttributes: Record<string, Payload>;
  executionTimeoutMs: number;
  runTimeoutMs: number;
  taskTimeoutMs: number;
  /** Absolute deadline of the whole chain of runs (0 = none). */
  executionDeadline: number;
  runDeadline: number;
  retryPolicy?: RetryPolicy;
  /** A cron workflow's schedule: each run that completes, fails or times out is followed by one at its next time. */
  cronSchedule?: string;
  attempt: number;
  /** When the first workflow task may be scheduled (start delay or retry backoff); 0 = now. */
  firstWftAt: number;
  nextEventId: number;
  lastCompletedStartedId: number;
  wft: WftState | null;
  wftAttempt: number;
  wftSeq: number;
  needsWft: boolean;
  buffered: BufferedEvent[];
  /** The worker's sticky queue, and its Worker Deployment Version key when it is a versioned worker. */
  sticky: { queue: string; timeoutMs: number; version?: string } | null;
  activities: Record<string, ActivityState>;
  timers: Record<string, TimerState>;
  children: Record<string, ChildState>;
  cancelRequested: boolean;
  historySizeBytes: number;
  /** The history passed the warning limits (logged once). Absent in journals written before. */
  historyWarned?: boolean;
  updates: Record<string, UpdateState>;
}

/** The progress part of a new run's state: no events yet, nothing pending (fresh objects each call). */
export function newRunProgress(): Pick<
  RunState,
  | 'nextEventId'
  | 'lastCompletedStartedId'
  | 'wft'
  | 'wftAttempt'
  | 'wftSeq'
  | 'needsWft'
  | 'buffered'
  | 'sticky'
  | 'activities'
  | 'timers'
  | 'children'
  | 'cancelRequested'
  | 'historySizeBytes'
  | 'updates'
> {
  return {
    nextEventId: 1,
    lastCompletedStartedId: 0,
    wft: null,
    wftAttempt: 1,
    wftSeq: 0,
    needsWft: false,
    buffered: [],
    sticky: null,
    activities: {},
    timers: {},
    children: {},
    cancelRequested: false,
    historySizeBytes: 0,
    updates: {},
  };
}

/** What visibility (list, count, describe's execution info) reads of a run: kept resident while the rest is paged out. */
export type VisibleState = Pick<
  RunState,
  | 'kind'
  | 'namespace'
  | 'workflowId'
  | 'runId'
  | 'workflowType'
  | 'taskQueue'
  | 'status'
  | 'startTime'
  | 'executionTime'
  | 'closeTime'
  | 'parent'
  | 'root'
  | 'memo'
  | 'searchAttributes'
  | 'historySizeBytes'
  | 'firstRunId'
  | 'versioning'
  | 'versioningOverride'
>;

/** A run's state and history, while they are in memory. */
export interface RunBody {
  state: RunState;
  events: HistoryEvent[];
}

/** Brings a paged-out run's body back (model/paging.ts); set on the run when it is paged out. */
export interface PageLoader {
  load(run: Execution): RunBody;
}

/**
 * What stays resident of a paged-out run: its visibility record, its history's length, the
 * sticky queue its worker last had (a worker that shuts down must reach it), and where its
 * body went. Its timers are replaced by one wake-up at the earliest of their deadlines.
 */
export interface PagedRun {
  visible: VisibleState;
  historyLength: number;
  /** Cleared when that worker shuts down while the run is out: loading it drops the queue from its state. */
  stickyQueue?: string;
  /** When it must be loaded back to run its timers (absent: it has none). */
  wake?: number;
  /** Where the body is: an offset and length in the page file, or the encoded bytes themselves. */
  ref: PageRef;
  loader: PageLoader;
}

/** A page: its place in a page file (`file` numbers the file, see store/pages.ts), or its bytes kept in memory. */
export type PageRef = { file: number; offset: number; length: number } | Buffer;

/**
 * One workflow run: its state and its history (event N at index N-1). An idle run may be paged
 * out (model/paging.ts): then `state` and `events` bring it back in on first access, before the
 * caller sees anything, so code that reads or changes a run never meets a paged-out one.
 * `visible`, `historyLength`, `runId` and `open` answer without paging it in.
 */
export class Execution {
  /** Events already handed to the journal; the rest go with the next commit. */
  persistedEvents: number;
  /** Long polls waiting for new events (history, close event). */
  readonly waiters = new Set<() => void>();
  /** When the run was last changed or paged in (wall-clock ms): idle runs are paged out. */
  lastActive = Date.now();
  private body: RunBody | undefined;
  private pagedOut: PagedRun | undefined;

  /** A run in memory; or, given its page record, a run that starts paged out (recovery from a snapshot's index). */
  constructor(state: RunState, events: HistoryEvent[]);
  constructor(paged: PagedRun);
  constructor(state: RunState | PagedRun, events?: HistoryEvent[]) {
    if (events) {
      this.body = { state: state as RunState, events };
      this.persistedEvents = events.length;
    } else {
      this.pagedOut = state as PagedRun;
      this.persistedEvents = this.pagedOut.historyLength;
    }
  }

  get state(): RunState {
    return (this.body ?? this.pageIn()).state;
  }

  set state(state: RunState) {
    (this.body ?? this.pageIn()).state = state;
  }

  get events(): HistoryEvent[] {
    return (this.body ?? this.pageIn()).events;
  }

  /** The paged-out record, or undefined while the run is in memory. */
  get paged(): PagedRun | undefined {
    return this.pagedOut;
  }

  /** What visibility reads, without paging the run in. */
  get visible(): VisibleState {
    return this.body ? this.body.state : (this.pagedOut as PagedRun).visible;
  }

  get historyLength(): number {
    return this.body ? this.body.events.length : (this.pagedOut as PagedRun).historyLength;
  }

  get runId(): string {
    return this.visible.runId;
  }

  get open(): boolean {
    return this.visible.status === enums.WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING;
  }

  event(id: number): HistoryEvent | undefined {
    return this.events[id - 1];
  }

  get lastEvent(): HistoryEvent | undefined {
    const events = this.events;
    return events[events.length - 1];
  }

  /** Hands the body out for paging: from now on the run answers from `paged` until it is loaded back. */
  release(paged: PagedRun): RunBody {
    const body = this.body as RunBody;
    this.body = undefined;
    this.pagedOut = paged;
    return body;
  }

  private pageIn(): RunBody {
    const paged = this.pagedOut;
    if (!paged) throw new Error(`run ${this.visible.runId} has neither a body nor a page`);
    const body = paged.loader.load(this);
    return body;
  }

  /** The loader puts the body back (before it re-arms the run's timers, which read it). */
  restore(body: RunBody): void {
    this.body = body;
    this.pagedOut = undefined;
    this.persistedEvents = body.events.length;
    this.lastActive = Date.now();
  }
}

/**
 * The phases of a run and of its parts, and what moves them, as tables of (from, event, to) in
 * the manner of the Java test server's StateMachines. The code changes a phase only through
 * `next()`, so a change the table does not list is an engine bug, thrown where it happens.
 * `none` is the part's absence: no workflow task, an activity or update not there (yet, or any
 * more). A run that closes drops its workflow task and activities whatever their phase.
 */
type Row = readonly [from: string | number, event: string, to: string | number];

/** Every phase a table names. */
type Phase<Rows extends readonly Row[]> = Rows[number][0] | Rows[number][2];

/** The `to` of the rows that start in one of the phases `From` and take `Event`. */
type Destination<R, From, Event> = R extends readonly [infer RowFrom, infer RowEvent, infer To] ? (RowFrom extends From ? (RowEvent extends Event ? To : never) : never) : never;

export class PhaseTable<const Rows extends readonly Row[]> {
  constructor(
    readonly name: string,
    readonly rows: Rows,
  ) {}

  /** The phase `event` leads to from `from`, or undefined when the table has no such row. */
  find<From extends Phase<Rows>, Event extends Rows[number][1]>(from: From, event: Event): Destination<Rows[number], From, Event> | undefined {
    const row = this.rows.find(([rowFrom, rowEvent]) => rowFrom === from && rowEvent === event);
    return row?.[2] as Destination<Rows[number], From, Event> | undefined;
  }

  /** The phase `event` leads to from `from`; throws when the table has no such row. */
  next<From extends Phase<Rows>, Event extends Rows[number][1]>(from: From, event: Event): Destination<Rows[number], From, Event> {
    const to = this.find(from, event);
    if (to === undefined) throw new Error(`${this.name}: no transition from ${String(from)} on ${event}`);
    return to;
  }
}

/** The events a table knows. */
export type EventOf<Table extends PhaseTable<readonly Row[]>> = Table['rows'][number][1];

/** A workflow task. Asked for while one runs, another follows it (`needsWft`). */
// prettier-ignore
export const WORKFLOW_TASK = new PhaseTable('workflow task', [
  // from       event         to
  ['none',      'schedule',   'scheduled'],
  ['scheduled', 'start',      'started'],   // a worker took it
  ['started',   'complete',   'none'],
  ['started',   'fail',       'none'],      // the worker failed it, or its completion was turned down
  ['started',   'timeOut',    'none'],      // start-to-close
  ['scheduled', 'timeOut',    'none'],      // schedule-to-start on a sticky queue: scheduled again on the normal one
  ['scheduled', 'forceClose', 'none'],      // the run is terminated or times out
  ['started',   'forceClose', 'none'],
]);

/** An activity, across all its attempts. */
// prettier-ignore
export const ACTIVITY = new PhaseTable('activity', [
  // from       event            to
  ['none',      'schedule',      'scheduled'],
  ['scheduled', 'start',         'started'],   // a worker took the attempt
  ['started',   'retry',         'backoff'],   // the attempt failed or timed out, and the retry policy allows another
  ['backoff',   'retryDue',      'scheduled'],
  ['started',   'complete',      'none'],
  ['started',   'fail',          'none'],
  ['started',   'cancel',        'none'],      // the worker confirms a cancel request
  ['started',   'timeOut',       'none'],      // start-to-close, heartbeat or schedule-to-close, no retry left
  ['scheduled', 'timeOut',       'none'],      // schedule-to-start or schedule-to-close
  ['backoff',   'timeOut',       'none'],      // schedule-to-close
  ['scheduled', 'requestCancel', 'none'],      // on no worker: cancelled at once
  ['backoff',   'requestCancel', 'none'],
  ['started',   'requestCancel', 'started'],   // the worker learns it from its next heartbeat
  ['scheduled', 'pause',         'paused'],    // an operator pauses it: nothing is dispatched
  ['backoff',   'pause',         'paused'],
  ['started',   'absorb',        'paused'],    // a paused activity's attempt failed: counted, not retried until unpaused
  ['paused',    'unpause',       'scheduled'],
  ['paused',    'unpauseLater',  'backoff'],   // unpaused with jitter
  ['paused',    'timeOut',       'none'],      // schedule-to-close
  ['paused',    'requestCancel', 'none'],
]);

/** A workflow update. */
// prettier-ignore
export const UPDATE = new PhaseTable('update', [
  // from      event      to
  ['none',     'admit',   'admitted'],
  ['admitted', 'accept',  'accepted'],  // the worker's validator let it in: UpdateAccepted
  ['admitted', 'reject',  'completed'], // or turned it down: completed with the failure, no event
  ['accepted', 'respond', 'completed'], // UpdateCompleted
  ['admitted', 'abort',   'aborted'],   // the run closed first
  ['accepted', 'abort',   'completed'], // the run closed first: completed with the server's failure
]);

const Status = enums.WorkflowExecutionStatus;

/** A run. A cancel request leaves it running (`cancelRequested`) until the workflow accepts it. */
// prettier-ignore
export const RUN = new PhaseTable('run', [
  // from                                    event            to
  [Status.WORKFLOW_EXECUTION_STATUS_RUNNING, 'complete',      Status.WORKFLOW_EXECUTION_STATUS_COMPLETED],
  [Status.WORKFLOW_EXECUTION_STATUS_RUNNING, 'fail',          Status.WORKFLOW_EXECUTION_STATUS_FAILED],
  [Status.WORKFLOW_EXECUTION_STATUS_RUNNING, 'cancel',        Status.WORKFLOW_EXECUTION_STATUS_CANCELED],
  [Status.WORKFLOW_EXECUTION_STATUS_RUNNING, 'terminate',     Status.WORKFLOW_EXECUTION_STATUS_TERMINATED],
  [Status.WORKFLOW_EXECUTION_STATUS_RUNNING, 'timeOut',       Status.WORKFLOW_EXECUTION_STATUS_TIMED_OUT],
  [Status.WORKFLOW_EXECUTION_STATUS_RUNNING, 'continueAsNew', Status.WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW],
]);
