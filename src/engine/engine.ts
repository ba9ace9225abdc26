import type { Logger } from '../log';
import { Clock } from './clock';
import { configFrom, type DynamicConfig } from './dynamic-config';
import { workflowNotFound } from './grpc/errors';
import { Matching } from './matching';
import { rearmActivity } from './model/activity';
import { payloadValue } from './model/payloads';
import { rearmRunTimers } from './model/run-timers';
import { armRunTimeout } from './model/start';
import { Execution } from './model/state';
import { rearmWft } from './model/workflow-task';
import { Namespaces, newNamespace, TYPE_NAME_OF, type NamespaceState } from './namespaces';
import type { Payload, WorkflowExecution } from './proto';
import { Queries } from './queries';
import { scheduleKey, Scheduler, type ScheduleRecord } from './schedule/scheduler';
import { batchKey, Batcher, type BatchRecord } from './batch/batcher';
import { deploymentKey, Deployments, type DeploymentRecord } from './deployments/deployments';
import { NexusEndpoints, type EndpointRecord } from './nexus/endpoints';
import { rearmNexusOperations } from './model/nexus';
import { encodeSnapshot, type IndexedRun, type JournaledRun, type SnapshotState, type Store, type TxRecord } from './store/store';
import { compactVisible, nextDeadline, Pager, quiet } from './paging';
import { FilePages, MemoryPages, type PageStore } from './store/pages';
import { EncodedJson, encodeJson } from './store/codec';

export interface EngineCoreOptions {
  timeSkipping: boolean;
  store: Store;
  log: Logger;
  /** Namespaces that exist from the start (the dev server's `--namespace`). */
  namespaces?: string[];
  /** Extra custom search attributes for every namespace created at start (`--search-attribute`). */
  searchAttributes?: Record<string, number>;
  /** Dynamic config keys to values (`--dynamic-config-value`), over the dev server's defaults. */
  dynamicConfig?: Record<string, string>;
}

/**
 * The engine's state and its one rule: every change happens inside `tx()`, which journals the
 * touched runs as one record when it ends; replies wait for `durable()` before they go out.
 * The workflow semantics live in model/*, the RPC surface in handlers/*.
 */
export class Engine {
  readonly clock: Clock;
  // Tasks go to the pollers of the Worker Deployment Version their routing names.
  readonly matching = new Matching((namespace, queue, type, task) => this.deployments.taskTarget(namespace, queue, type, task));
  readonly queries: Queries;
  readonly namespaces: Namespaces;
  readonly log: Logger;
  readonly store: Store;
  readonly config: DynamicConfig;
  readonly runs = new Map<string, Execution>();
  /** Runs that are still open: time skipping and timers look only at these. */
  readonly openRuns = new Set<Execution>();
  readonly scheduler: Scheduler;
  readonly batcher: Batcher;
  readonly deployments: Deployments;
  readonly endpoints: NexusEndpoints;
  /** Pages idle runs out of memory and back in. */
  readonly pager: Pager;
  private readonly pages: PageStore;
  private readonly current = new Map<string, string>();
  private readonly history = new Map<string, Execution[]>();
  private readonly dirty = new Set<Execution>();
  private readonly dirtyNamespaces = new Set<NamespaceState>();
  private readonly deleted: string[] = [];
  private readonly dirtySchedules = new Set<ScheduleRecord>();
  private readonly deletedSchedules: string[] = [];
  private readonly dirtyBatches = new Set<BatchRecord>();
  private readonly dirtyDeployments = new Set<DeploymentRecord>();
  private readonly deletedDeployments: string[] = [];
  private readonly dirtyEndpoints = new Set<EndpointRecord>();
  private readonly deletedEndpoints: string[] = [];
  private depth = 0;
  private taskSeq = 0;
  private stopped = false;

  constructor(opts: EngineCoreOptions) {
    this.log = opts.log;
    this.store = opts.store;
    this.config = configFrom(opts.dynamicConfig);
    this.clock = new Clock(
      opts.timeSkipping,
      (ignoreRunning) => this.busy(ignoreRunning),
      (err, key) => this.log.error('engine timer failed', { err, timer: key }),
    );
    this.queries = new Queries(this);
    this.scheduler = new Scheduler(this);
    this.batcher = new Batcher(this);
    this.deployments = new Deployments(this);
    this.endpoints = new NexusEndpoints(this);
    this.pages = this.store.pagesFile ? new FilePages(this.store.pagesFile) : new MemoryPages();
    this.pager = new Pager(this, this.pages, this.config.pageIdleRuns ? this.config.pageIdleMs : undefined);
    this.namespaces = new Namespaces(opts.timeSkipping, (ns) => this.dirtyNamespaces.add(ns));
    for (const name of new Set(['default', ...(opts.namespaces ?? [])])) {
      const ns = newNamespace(name, opts.searchAttributes);
      this.namespaces.byName.set(name, ns);
      this.dirtyNamespaces.add(ns);
    }
  }

  now(): number {
    return this.clock.now();
  }

  nextTaskId(): number {
    return ++this.taskSeq;
  }

  /** Runs `fn` as one transaction: its changes are journaled together when it returns. */
  tx<T>(fn: () => T): T {
    this.depth++;
    try {
      return fn();
    } finally {
      if (--this.depth === 0) this.commit();
    }
  }

  get inTransaction(): boolean {
    return this.depth > 0;
  }

  /** Whether the run has changes not yet handed to the journal. */
  isDirty(run: Execution): boolean {
    return this.dirty.has(run);
  }

  /** Marks a run as changed in the current transaction. */
  touch(run: Execution): void {
    this.dirty.add(run);
  }

  touchNamespace(ns: NamespaceState): void {
    this.dirtyNamespaces.add(ns);
  }

  touchSchedule(schedule: ScheduleRecord): void {
    this.dirtySchedules.add(schedule);
  }

  touchBatch(batch: BatchRecord): void {
    this.dirtyBatches.add(batch);
  }

  touchDeployment(deployment: DeploymentRecord): void {
    this.dirtyDeployments.add(deployment);
  }

  deploymentDeleted(key: string): void {
    this.deletedDeployments.push(key);
  }

  touchEndpoint(endpoint: EndpointRecord): void {
    this.dirtyEndpoints.add(endpoint);
  }

  endpointDeleted(id: string): void {
    this.deletedEndpoints.push(id);
  }

  scheduleDeleted(key: string): void {
    this.deletedSchedules.push(key);
  }

  /** Resolves once everything changed so far is on disk (undefined: nothing to wait for). */
  durable(): Promise<void> | undefined {
    return this.store.sync();
  }

  private commit(): void {
    if (this.stopped) return;
    if (
      !this.dirty.size &&
      !this.dirtyNamespaces.size &&
      !this.deleted.length &&
      !this.dirtySchedules.size &&
      !this.deletedSchedules.length &&
      !this.dirtyBatches.size &&
      !this.dirtyDeployments.size &&
      !this.deletedDeployments.length &&
      !this.dirtyEndpoints.size &&
      !this.deletedEndpoints.length
    ) {
      this.clock.maybeSkip();
      return;
    }
    const record: TxRecord = {};
    const touched: Execution[] = [];
    if (this.dirty.size) {
      record.runs = [];
      const now = Date.now();
      for (const run of this.dirty) {
        record.runs.push({ s: run.state, e: run.events.slice(run.persistedEvents) });
        if (run.waiters.size) touched.push(run);
        run.persistedEvents = run.events.length;
        run.lastActive = now;
      }
    }
    if (this.dirtyNamespaces.size) record.ns = [...this.dirtyNamespaces];
    if (this.deleted.length) record.del = this.deleted.splice(0);
    if (this.dirtySchedules.size) record.sch = [...this.dirtySchedules];
    if (this.deletedSchedules.length) record.schDel = this.deletedSchedules.splice(0);
    if (this.dirtyBatches.size) record.bat = [...this.dirtyBatches];
    if (this.dirtyDeployments.size) record.dep = [...this.dirtyDeployments];
    if (this.deletedDeployments.length) record.depDel = this.deletedDeployments.splice(0);
    if (this.dirtyEndpoints.size) record.nex = [...this.dirtyEndpoints];
    if (this.deletedEndpoints.length) record.nexDel = this.deletedEndpoints.splice(0);
    this.dirty.clear();
    this.dirtyNamespaces.clear();
    this.dirtySchedules.clear();
    this.dirtyBatches.clear();
    this.dirtyDeployments.clear();
    this.dirtyEndpoints.clear();
    this.store.append(record);
    try {
      this.store.maybeSnapshot((gen) => this.snapshot(gen));
    } catch (err) {
      // The journal holds everything still: the next commit tries again.
      this.log.error('engine snapshot failed; the journal keeps growing', { err });
    }
    for (const run of touched) for (const w of [...run.waiters]) w();
    this.pager.committed();
    this.clock.maybeSkip();
  }

  /**
   * Everything, encoded, as snapshot generation `gen`. In a data folder the runs go into the
   * generation's runs file, one page each, and the snapshot holds their index, so a restart
   * loads runs only when they are needed. Otherwise (one file, or paging off) the snapshot
   * holds the runs whole. Either way paged-out runs are copied from their pages as they are, not decoded.
   */
  snapshot(gen: number): EncodedJson {
    const others = {
      ns: [...this.namespaces.byName.values()],
      sch: [...this.scheduler.byKey.values()],
      bat: [...this.batcher.byKey.values()],
      dep: [...this.deployments.byKey.values()],
      nex: [...this.endpoints.byId.values()],
    };
    const runsFile = this.store.runsFile?.(gen);
    // Paging off is the engine as it was: every run whole in the snapshot.
    if (!runsFile || !(this.pages instanceof FilePages) || this.pager.idleMs === undefined) {
      return encodeSnapshot({ runs: [...this.runs.values()].map((run) => this.pager.pageText(run) ?? { s: run.state, e: run.events }), ...others });
    }
    const runs = [...this.runs.values()];
    const refs = this.pages.writeRunsFile(
      gen,
      runsFile,
      runs.map((run) => run.paged?.ref ?? encodeJson({ s: run.state, e: run.events } satisfies JournaledRun)),
    );
    const index = runs.map((run, i): IndexedRun => {
      const ref = refs[i] as { offset: number; length: number };
      const paged = run.paged;
      if (paged) {
        paged.ref = refs[i];
        return { v: paged.visible, n: paged.historyLength, q: paged.stickyQueue, w: paged.wake, o: ref.offset, l: ref.length };
      }
      const s = run.state;
      const idle = quiet(s);
      return {
        v: compactVisible(s),
        n: run.events.length,
        q: s.sticky?.queue,
        w: idle && run.open ? nextDeadline(s) : undefined,
        o: ref.offset,
        l: ref.length,
        a: idle ? undefined : 1,
      };
    });
    return new EncodedJson(encodeJson({ g: gen, t: this.taskSeq, index, ...others } satisfies SnapshotState));
  }

  /** Registers a new run and makes it the current run of its workflow id. */
  addRun(run: Execution): void {
    this.runs.set(run.runId, run);
    const key = keyOf(run);
    this.current.set(key, run.runId);
    const list = this.history.get(key) ?? [];
    list.push(run);
    this.history.set(key, list);
    if (run.open) this.openRuns.add(run);
    this.pager.track(run);
    this.touch(run);
  }

  closed(run: Execution): void {
    this.openRuns.delete(run);
    this.scheduler.runClosed(run);
  }

  currentRun(namespace: string, workflowId: string): Execution | undefined {
    const id = this.current.get(wfKey(namespace, workflowId));
    return id ? this.runs.get(id) : undefined;
  }

  /** Every run a workflow id has had, oldest first. */
  runsOf(namespace: string, workflowId: string): Execution[] {
    return this.history.get(wfKey(namespace, workflowId)) ?? [];
  }

  /** The latest standalone activity with this id, and every one it has had (activity ids have a key space of their own). */
  currentActivityRun(namespace: string, activityId: string): Execution | undefined {
    const id = this.current.get(activityKey(namespace, activityId));
    return id ? this.runs.get(id) : undefined;
  }

  activityRunsOf(namespace: string, activityId: string): Execution[] {
    return this.history.get(activityKey(namespace, activityId)) ?? [];
  }

  /** The run an API call names: its run id when given, else the workflow id's current run. */
  findRun(namespace: string, execution: WorkflowExecution | null | undefined): Execution {
    const workflowId = execution?.workflowId ?? '';
    const runId = execution?.runId;
    const run = runId ? this.runs.get(runId) : this.currentRun(namespace, workflowId);
    const visible = run?.visible;
    if (!run || !visible || visible.kind === 'activity' || visible.namespace !== namespace || (workflowId && visible.workflowId !== workflowId)) {
      throw workflowNotFound(workflowId, runId);
    }
    return run;
  }

  /** Why a set of search attributes cannot be stored, or undefined when all are registered. */
  checkSearchAttributes(namespace: string, fields: Record<string, Payload> | null | undefined): string | undefined {
    const ns = this.namespaces.get(namespace);
    for (const key of Object.keys(fields ?? {})) {
      if (this.namespaces.attributeType(ns, key) === undefined) return `search attribute ${key} is not defined`;
      // The server keeps worker versioning's attributes itself, as the real one does.
      if (['TemporalWorkerDeploymentVersion', 'TemporalWorkerDeployment', 'TemporalWorkflowVersioningBehavior'].includes(key))
        return `${key} attribute can't be set in SearchAttributes`;
    }
    return undefined;
  }

  /**
   * Search attributes with each registered attribute's type in its payload's metadata, as the
   * real server hands them out (history, describe, list); payloads that carry a type keep it,
   * and a removal (a null value) gets none, or the SDK would read it back as a Date of 1970.
   */
  typedSearchAttributes(namespace: string, fields: Record<string, Payload> | null | undefined): Record<string, Payload> {
    const ns = this.namespaces.get(namespace);
    const out: Record<string, Payload> = {};
    for (const [name, payload] of Object.entries(fields ?? {})) {
      const type = this.namespaces.attributeType(ns, name);
      const typeName = type === undefined ? undefined : TYPE_NAME_OF[type];
      out[name] = typeName && !payload.metadata?.type && payloadValue(payload) !== null ? { ...payload, metadata: { ...payload.metadata, type: Buffer.from(typeName) } } : payload;
    }
    return out;
  }

  /**
   * Removes closed runs older than their namespace's retention (24 h by default), as the real
   * server does, so a long-lived development server does not grow without bound.
   */
  purgeExpired(): number {
    const now = this.now();
    let removed = 0;
    this.tx(() => {
      for (const run of [...this.runs.values()]) {
        const state = run.visible;
        if (run.open || !state.closeTime) continue;
        const retention = this.namespaces.byName.get(state.namespace)?.retentionMs ?? 24 * 3600_000;
        if (state.closeTime + retention > now) continue;
        this.removeRun(run);
        this.deleted.push(run.runId);
        removed++;
      }
    });
    if (removed) this.log.info('closed workflows past retention removed', { runs: removed });
    return removed;
  }

  /** DeleteWorkflowExecution: the run (terminated first if open, by the caller) is gone. */
  deleteRun(run: Execution): void {
    this.tx(() => {
      this.removeRun(run);
      this.deleted.push(run.runId);
    });
  }

  private removeRun(run: Execution): void {
    this.runs.delete(run.runId);
    this.dirty.delete(run);
    this.pager.forget(run);
    const key = keyOf(run);
    const list = (this.history.get(key) ?? []).filter((other) => other !== run);
    if (list.length) this.history.set(key, list);
    else this.history.delete(key);
    if (this.current.get(key) === run.runId) {
      const latest = list.at(-1);
      if (latest) this.current.set(key, latest.runId);
      else this.current.delete(key);
    }
  }

  /**
   * Outstanding work that must hold the virtual clock still: tasks a worker is running, and
   * tasks waiting on a queue a worker polls. A task on a queue nobody polls (its worker shut
   * down, e.g. an earlier test's) cannot progress, so it must not stop time for everyone else.
   */
  private busy(ignoreRunningActivities: boolean): boolean {
    if (this.queries.outstanding > 0) return true;
    for (const run of this.openRuns) {
      // A paged-out run has nothing in flight.
      if (run.paged) continue;
      const ns = run.state.namespace;
      const wft = run.state.wft;
      if (wft && (wft.phase === 'started' || this.matching.isLive(ns, wft.queue, 'workflow'))) return true;
      for (const key in run.state.activities) {
        const activity = run.state.activities[key];
        if (activity.phase === 'scheduled' && this.matching.isLive(ns, activity.taskQueue, 'activity')) return true;
        if (activity.phase === 'started' && !ignoreRunningActivities) return true;
      }
      // A Nexus request out to a live handler worker: time waits for its answer (not its request timeout).
      for (const key in run.state.nexusOps) {
        const op = run.state.nexusOps[key];
        const endpoint = this.endpoints.byId.get(op.endpointId);
        const waiting = op.phase === 'scheduled' || op.cancel?.phase === 'sent';
        if (waiting && endpoint && this.matching.isLive(endpoint.target.namespace, endpoint.target.taskQueue, 'nexus')) return true;
      }
    }
    return false;
  }

  /** Rebuilds state from a snapshot and journal records, then re-arms timers and task queues. */
  recover(snapshot: SnapshotState | undefined, records: TxRecord[]): void {
    const apply = (runs: JournaledRun[] | undefined, namespaces: NamespaceState[] | undefined): void => {
      for (const namespace of namespaces ?? []) this.namespaces.byName.set(namespace.name, namespace);
      for (const { s: state, e: events } of runs ?? []) {
        let run = this.runs.get(state.runId);
        if (!run) {
          run = new Execution(state, []);
          this.addRun(run);
        }
        // Journals written before updates existed have no `updates` field.
        run.state = { ...state, updates: state.updates ?? {} };
        for (const event of events) if (Number(event.eventId) === run.events.length + 1) run.events.push(event);
        run.persistedEvents = run.events.length;
        for (const event of events) this.taskSeq = Math.max(this.taskSeq, Number(event.taskId ?? 0));
      }
    };
    const schedules = new Map<string, ScheduleRecord>();
    const applySchedules = (changed: ScheduleRecord[] | undefined, deleted: string[] | undefined): void => {
      for (const rec of changed ?? []) schedules.set(scheduleKey(rec.namespace, rec.scheduleId), rec);
      for (const key of deleted ?? []) schedules.delete(key);
    };
    const batches = new Map<string, BatchRecord>();
    const applyBatches = (changed: BatchRecord[] | undefined): void => {
      for (const rec of changed ?? []) batches.set(batchKey(rec.namespace, rec.jobId), rec);
    };
    const deployments = new Map<string, DeploymentRecord>();
    const applyDeployments = (changed: DeploymentRecord[] | undefined, deleted: string[] | undefined): void => {
      for (const rec of changed ?? []) deployments.set(deploymentKey(rec.namespace, rec.name), rec);
      for (const key of deleted ?? []) deployments.delete(key);
    };
    const endpoints = new Map<string, EndpointRecord>();
    const applyEndpoints = (changed: EndpointRecord[] | undefined, deleted: string[] | undefined): void => {
      for (const rec of changed ?? []) endpoints.set(rec.id, rec);
      for (const id of deleted ?? []) endpoints.delete(id);
    };
    if (snapshot) {
      if (snapshot.index) this.recoverIndex(snapshot);
      apply(snapshot.runs, snapshot.ns);
      applySchedules(snapshot.sch, undefined);
      applyBatches(snapshot.bat);
      applyDeployments(snapshot.dep, undefined);
      applyEndpoints(snapshot.nex, undefined);
    }
    for (const record of records) {
      apply(record.runs, record.ns);
      applySchedules(record.sch, record.schDel);
      applyBatches(record.bat);
      applyDeployments(record.dep, record.depDel);
      applyEndpoints(record.nex, record.nexDel);
      for (const runId of record.del ?? []) {
        const run = this.runs.get(runId);
        if (run) this.removeRun(run);
      }
    }
    this.dirty.clear();
    // Routing (deployments) and endpoints first: the runs' tasks go out through them.
    this.deployments.recover([...deployments.values()]);
    this.endpoints.recover([...endpoints.values()]);
    this.openRuns.clear();
    for (const run of this.runs.values()) if (run.open) this.openRuns.add(run);
    for (const run of this.openRuns) {
      if (run.paged) {
        this.pager.armWake(run);
        continue;
      }
      armRunTimeout(this, run);
      rearmRunTimers(this, run);
      rearmWft(this, run);
      for (const key in run.state.activities) rearmActivity(this, run, run.state.activities[key]);
      rearmNexusOperations(this, run);
    }
    this.scheduler.recover([...schedules.values()]);
    this.batcher.recover([...batches.values()]);
    this.dirtyNamespaces.clear();
    this.dirtySchedules.clear();
    this.dirtyBatches.clear();
    this.dirtyDeployments.clear();
    this.dirtyEndpoints.clear();
    // Recovered runs start resident: the idle ones go out once their idle time has passed.
    this.pager.committed();
  }

  /**
   * A snapshot's index: each run starts paged out, its page in the snapshot's runs file; those
   * that had something in flight are loaded at once (recovery re-arms their tasks and timers).
   */
  private recoverIndex(snapshot: SnapshotState): void {
    const gen = snapshot.g ?? 0;
    const runsFile = this.store.runsFile?.(gen);
    if (!runsFile || !(this.pages instanceof FilePages)) throw new Error('a snapshot with a run index needs its data folder');
    this.pages.openRunsFile(gen, runsFile);
    this.taskSeq = Math.max(this.taskSeq, snapshot.t ?? 0);
    const active: Execution[] = [];
    for (const entry of snapshot.index ?? []) {
      const run = new Execution({
        visible: compactVisible(entry.v),
        historyLength: entry.n,
        stickyQueue: entry.q,
        wake: entry.w,
        ref: { file: gen, offset: entry.o, length: entry.l },
        loader: this.pager,
      });
      this.addRun(run);
      if (entry.a) active.push(run);
    }
    for (const run of active) this.pager.ensureLoaded(run);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.clock.stop();
    this.pager.stop();
    this.queries.stop();
    await this.store.close();
  }
}

export function wfKey(namespace: string, workflowId: string): string {
  return `${namespace}\u0000${workflowId}`;
}

const activityKey = (namespace: string, activityId: string): string => `${namespace}\u0001${activityId}`;

/** A run's key: its workflow id, or a standalone activity's id in a key space of its own. */
const keyOf = (run: Execution): string => (run.visible.kind === 'activity' ? activityKey : wfKey)(run.visible.namespace, run.visible.workflowId);
