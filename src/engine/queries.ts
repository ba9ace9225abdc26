import { randomUUID } from 'node:crypto';
import type { Engine } from './engine';
import { notFound, queryFailed } from './grpc/errors';
import type { Execution } from './model/state';
import { enums, type Payloads, type PollWftReq, type PollWftRes, type temporal, type Plain } from './proto';
import { msTimestamp } from './time';
import { encodeToken } from './tokens';

type WorkflowQuery = Plain<temporal.api.query.v1.WorkflowQuery.$Properties>;

interface PendingQuery {
  runId: string;
  query: WorkflowQuery;
  resolve: (result: Payloads | undefined) => void;
  reject: (err: Error) => void;
  /** On a sticky queue: moves to the normal queue if the worker does not take it in time. */
  fallback?: NodeJS.Timeout;
  taken: boolean;
}

/**
 * Queries are consistent with what the workflow was told: while a workflow task is pending
 * (a signal just arrived, say) or none has completed yet, a query waits for it to finish.
 */
function mustWait(run: Execution): boolean {
  return run.open && (run.state.wft !== null || run.state.lastCompletedStartedId === 0);
}

/**
 * Queries as legacy query tasks: a workflow task carrying `query` and the history, answered by
 * RespondQueryTaskCompleted. Nothing is written to history, so this state is not journaled: a
 * query in flight during a restart fails and the client retries it.
 */
export class Queries {
  private readonly pending = new Map<string, PendingQuery>();
  /** Open runs that have not completed a workflow task yet: their queries wait for it. */
  private readonly waiting = new Map<string, string[]>();

  constructor(private readonly engine: Engine) {}

  /** The run a query task is for (matching routes it as that run's workflow tasks). */
  runIdOf(queryId: string): string | undefined {
    return this.pending.get(queryId)?.runId;
  }

  /** Queries not yet answered hold the virtual clock. */
  get outstanding(): number {
    return this.pending.size;
  }

  ask(run: Execution, query: WorkflowQuery, onCancel: (fn: () => void) => void): Promise<Payloads | undefined> {
    const id = randomUUID();
    return new Promise((resolve, reject) => {
      this.pending.set(id, { runId: run.runId, query, resolve, reject, taken: false });
      onCancel(() => this.forget(id));
      if (mustWait(run)) {
        const list = this.waiting.get(run.runId) ?? [];
        list.push(id);
        this.waiting.set(run.runId, list);
      } else {
        this.dispatch(run, id);
      }
    });
  }

  private forget(id: string): void {
    const q = this.pending.get(id);
    if (q?.fallback) clearTimeout(q.fallback);
    this.pending.delete(id);
  }

  private dispatch(run: Execution, id: string): void {
    const q = this.pending.get(id);
    if (!q) return;
    const sticky = run.open ? run.state.sticky : null;
    const ns = run.state.namespace;
    if (sticky) {
      q.fallback = setTimeout(
        () => {
          q.fallback = undefined;
          if (this.pending.has(id) && !q.taken) this.engine.matching.push(ns, run.state.taskQueue, 'workflow', { kind: 'query', queryId: id });
        },
        Math.min(sticky.timeoutMs, 10_000),
      );
    }
    this.engine.matching.push(ns, sticky ? sticky.queue : run.state.taskQueue, 'workflow', { kind: 'query', queryId: id });
  }

  /** The run completed a workflow task (or closed): queries that waited for it can go. */
  wftCompleted(run: Execution): void {
    const ids = this.waiting.get(run.runId);
    if (!ids || mustWait(run)) return;
    this.waiting.delete(run.runId);
    for (const id of ids) this.dispatch(run, id);
  }

  take(id: string, poll: PollWftReq): PollWftRes | null {
    const q = this.pending.get(id);
    if (!q || q.taken) return null;
    const run = this.engine.runs.get(q.runId);
    if (!run) return null;
    q.taken = true;
    if (q.fallback) clearTimeout(q.fallback);
    const s = run.state;
    const now = msTimestamp(this.engine.now());
    // On the sticky queue the worker has the run cached; elsewhere it replays the whole history.
    const onSticky = !!s.sticky && run.open && poll.taskQueue?.name === s.sticky.queue;
    return {
      taskToken: encodeToken({ k: 'q', q: id }),
      workflowExecution: { workflowId: s.workflowId, runId: s.runId },
      workflowType: { name: s.workflowType },
      previousStartedEventId: s.lastCompletedStartedId,
      startedEventId: 0,
      attempt: 1,
      history: { events: onSticky ? [] : run.events.slice() },
      query: q.query,
      workflowExecutionTaskQueue: { name: s.taskQueue, kind: enums.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
      scheduledTime: now,
      startedTime: now,
    };
  }

  answer(id: string, completedType: number, result: Payloads | null | undefined, errorMessage: string): void {
    const q = this.pending.get(id);
    if (!q) throw notFound('Query not found (it timed out or was cancelled).');
    this.forget(id);
    if (completedType === enums.QueryResultType.QUERY_RESULT_TYPE_ANSWERED) q.resolve(result ?? undefined);
    else q.reject(queryFailed(errorMessage || 'query failed'));
  }

  stop(): void {
    for (const q of this.pending.values()) if (q.fallback) clearTimeout(q.fallback);
    this.pending.clear();
    this.waiting.clear();
  }
}
