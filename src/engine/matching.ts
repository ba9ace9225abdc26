/**
 * Task queues and long polls. A task is only a reference to engine state (run + task
 * identity); when a poller takes it, `take` checks it is still current and starts it, or
 * returns null for a stale task (completed, timed out, cancelled meanwhile), which is dropped.
 *
 * Worker versioning: each poller polls as a version (a Worker Deployment Version key, '' for
 * unversioned workers), and a task goes only to pollers of the version `router` names for it.
 * The router is asked when a task is matched, so a routing change applies to tasks already
 * waiting; `rematch` hands those to waiting pollers after one.
 */
/** Names the version whose pollers may take a task ('' for unversioned workers). */
export type Router = (namespace: string, queue: string, type: QueueType, task: Task) => string;
export type Task =
  | { kind: 'wft'; runId: string; seq: number }
  | { kind: 'query'; queryId: string }
  | { kind: 'activity'; runId: string; scheduledEventId: number; attempt: number }
  | { kind: 'nexus'; runId: string; scheduledEventId: number; attempt: number; cancel: boolean };

export type QueueType = 'workflow' | 'activity' | 'nexus';

/** A sticky queue nobody has polled for this long has lost its worker (the real server's matching uses the same 10 s). */
export const STICKY_POLLER_WINDOW_MS = 10_000;

interface Poller {
  take: (task: Task) => boolean;
  done: boolean;
  version: string;
}

interface Queue {
  namespace: string;
  name: string;
  type: QueueType;
  tasks: Task[];
  pollers: Poller[];
  lastPollAt: number;
}

export class Matching {
  private readonly queues = new Map<string, Queue>();
  private readonly startedAt = Date.now();

  constructor(private readonly router: Router) {}

  private queue(namespace: string, name: string, type: QueueType): Queue {
    const key = `${namespace}\u0000${name}\u0000${type}`;
    let q = this.queues.get(key);
    if (!q) {
      q = { namespace, name, type, tasks: [], pollers: [], lastPollAt: 0 };
      this.queues.set(key, q);
    }
    return q;
  }

  push(namespace: string, name: string, type: QueueType, task: Task): void {
    const q = this.queue(namespace, name, type);
    if (!this.handOver(q, task)) q.tasks.push(task);
  }

  /** Gives a task to a waiting poller of its version; false if none waits (a stale task counts as handed over: it is dropped). */
  private handOver(q: Queue, task: Task): boolean {
    q.pollers = q.pollers.filter((p) => !p.done);
    const version = this.router(q.namespace, q.name, q.type, task);
    const i = q.pollers.findIndex((p) => p.version === version);
    if (i < 0) return false;
    const [p] = q.pollers.splice(i, 1);
    // A stale task: the poller keeps waiting, and nobody else wants the task either.
    if (!p.take(task)) q.pollers.splice(i, 0, p);
    return true;
  }

  /** After a routing change: waiting tasks go to waiting pollers of the version they now route to. */
  rematch(): void {
    for (const q of this.queues.values()) {
      if (!q.tasks.length || !q.pollers.length) continue;
      const tasks = q.tasks.splice(0);
      for (const task of tasks) if (!this.handOver(q, task)) q.tasks.push(task);
    }
  }

  /**
   * Waits up to `timeoutMs` for a task that `take` accepts. `take` runs synchronously when a
   * task is matched and returns the poll response, or null to skip a stale task.
   * Resolves undefined on timeout or when `cancelled` fires first.
   */
  poll<R>(
    namespace: string,
    name: string,
    type: QueueType,
    take: (task: Task) => R | null,
    timeoutMs: number,
    onCancel: (fn: () => void) => void,
    version = '',
  ): Promise<R | undefined> {
    const q = this.queue(namespace, name, type);
    q.lastPollAt = Date.now();
    for (let i = 0; i < q.tasks.length;) {
      const task = q.tasks[i];
      if (this.router(namespace, name, type, task) !== version) {
        i++;
        continue;
      }
      q.tasks.splice(i, 1);
      const res = take(task);
      if (res !== null) return Promise.resolve(res);
    }
    return new Promise<R | undefined>((resolve, reject) => {
      const poller: Poller = {
        version,
        done: false,
        take: (task) => {
          // A failure starting the task belongs to this poll, not to whoever queued the task.
          let res: R | null;
          try {
            res = take(task);
          } catch (err) {
            finish();
            reject(err instanceof Error ? err : new Error(String(err)));
            return true;
          }
          if (res === null) return false;
          finish();
          resolve(res);
          return true;
        },
      };
      const timer = setTimeout(
        () => {
          finish();
          resolve(undefined);
        },
        Math.max(0, timeoutMs),
      );
      const finish = (): void => {
        poller.done = true;
        clearTimeout(timer);
        q.lastPollAt = Date.now();
        const i = q.pollers.indexOf(poller);
        if (i >= 0) q.pollers.splice(i, 1);
      };
      onCancel(() => {
        if (poller.done) return;
        finish();
        resolve(undefined);
      });
      q.pollers.push(poller);
    });
  }

  /** A worker polls this queue now or did a moment ago (it re-polls as soon as it gets a task). */
  isLive(namespace: string, name: string, type: QueueType): boolean {
    return this.hasPoller(namespace, name, type, 2_000);
  }

  /** A worker polls (or polled within `withinMs`) this queue. */
  hasPoller(namespace: string, name: string, type: QueueType, withinMs: number): boolean {
    const q = this.queue(namespace, name, type);
    return q.pollers.some((p) => !p.done) || Date.now() - q.lastPollAt < withinMs;
  }

  /**
   * A worker's sticky queue that nobody has polled for STICKY_POLLER_WINDOW_MS: its worker died
   * without ShutdownWorker (SIGKILL), so a task put there would only wait out its sticky
   * schedule-to-start timeout. The real server's matching answers StickyWorkerUnavailable and the
   * task goes to the normal queue at once. Not in the first window after a start, while workers
   * have not polled this engine yet.
   */
  stickyUnavailable(namespace: string, name: string): boolean {
    const now = Date.now();
    if (now - this.startedAt < STICKY_POLLER_WINDOW_MS) return false;
    const q = this.queues.get(`${namespace}\u0000${name}\u0000workflow`);
    return !q || (!q.pollers.some((p) => !p.done) && now - q.lastPollAt >= STICKY_POLLER_WINDOW_MS);
  }

  /** Removes a queue (a sticky queue whose worker shut down) and returns its waiting tasks. */
  drop(namespace: string, name: string, type: QueueType): Task[] {
    const key = `${namespace}\u0000${name}\u0000${type}`;
    const q = this.queues.get(key);
    if (!q) return [];
    this.queues.delete(key);
    for (const p of q.pollers) p.done = true;
    return q.tasks;
  }

  /** Number of tasks waiting and pollers waiting, for DescribeTaskQueue. */
  stats(namespace: string, name: string, type: QueueType): { backlog: number; pollers: number; lastPollAt: number } {
    const q = this.queue(namespace, name, type);
    return { backlog: q.tasks.length, pollers: q.pollers.filter((p) => !p.done).length, lastPollAt: q.lastPollAt };
  }
}
