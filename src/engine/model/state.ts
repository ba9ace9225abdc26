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
  /** `backoff`: waiting for the next attempt; the worker has nothing. */
  phase: 'scheduled' | 'started' | 'backoff';
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

/** A workflow update: admitted until the worker accepts (or rejects) it, then completed. */
export interface UpdateState {
  updateId: string;
  request: UpdateRequest;
  stage: 'admitted' | 'accepted' | 'completed';
  /** The workflow task (its seq) that carried the request to the worker. */
  deliveredIn?: number;
  acceptedEventId?: number;
  outcome?: UpdateOutcome;
}

export interface ParentRef {
  namespace: string;
  workflowId: string;
  runId: string;
  initiatedEventId: number;
}

/** Everything about one run except its history: what the journal writes after each change. */
export interface RunState {
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
  sticky: { queue: string; timeoutMs: number } | null;
  activities: Record<string, ActivityState>;
  timers: Record<string, TimerState>;
  children: Record<string, ChildState>;
  cancelRequested: boolean;
  historySizeBytes: number;
  updates: Record<string, UpdateState>;
}

/** One workflow run: its state and its history (event N at index N-1). */
export class Execution {
  /** Events already handed to the journal; the rest go with the next commit. */
  persistedEvents: number;
  /** Long polls waiting for new events (history, close event). */
  readonly waiters = new Set<() => void>();

  constructor(
    public state: RunState,
    readonly events: HistoryEvent[],
  ) {
    this.persistedEvents = events.length;
  }

  get runId(): string {
    return this.state.runId;
  }

  get open(): boolean {
    return this.state.status === enums.WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING;
  }

  event(id: number): HistoryEvent | undefined {
    return this.events[id - 1];
  }

  get lastEvent(): HistoryEvent | undefined {
    return this.events[this.events.length - 1];
  }
}
