import type { Engine } from '../engine';
import { failedPrecondition, invalidArgument } from '../grpc/errors';
import type { QueueType, Task } from '../matching';
import type { Execution, RunState } from '../model/state';
import { enums, protoRoot, type Payload, type temporal, type Plain } from '../proto';
import { msTimestamp } from '../time';

const PINNED_OVERRIDE = protoRoot.lookupEnum('temporal.api.workflow.v1.VersioningOverride.PinnedOverrideBehavior').values.PINNED_OVERRIDE_BEHAVIOR_PINNED;

type OverrideProto = Plain<temporal.api.workflow.v1.VersioningOverride.$Properties>;
type Override = NonNullable<RunState['versioningOverride']>;

const Behavior = enums.VersioningBehavior;
const Status = enums.WorkerDeploymentVersionStatus;

/** A Worker Deployment Version: a deployment name and a build id. */
export interface VersionRef {
  deploymentName: string;
  buildId: string;
}

/** The version's id in search attributes and routing (the real server's `name:buildId`). */
export const versionKey = (v: VersionRef): string => `${v.deploymentName}:${v.buildId}`;
/** The deprecated string form the API's `version` fields still carry (`name.buildId`). */
export const versionStringV31 = (v: VersionRef): string => `${v.deploymentName}.${v.buildId}`;
/** What the `version` string fields say for unversioned workers. */
export const UNVERSIONED = '__unversioned__';

/** One version of a deployment, as its workers registered it by polling and as routing changed it. */
export interface VersionRecord {
  buildId: string;
  createTime: number;
  /** The task queues (and their types: TaskQueueType) its workers poll. */
  taskQueues: { name: string; type: number }[];
  currentSinceTime?: number;
  rampingSinceTime?: number;
  rampPercentage: number;
  routingUpdateTime?: number;
  firstActivationTime?: number;
  lastCurrentTime?: number;
  /** When it stopped being current or ramping: from then on it drains. */
  lastDeactivationTime?: number;
  metadata: Record<string, Payload>;
}

/** A Worker Deployment: its versions and where new work goes (the current version, and a ramp). */
export interface DeploymentRecord {
  namespace: string;
  name: string;
  createTime: number;
  versions: Record<string, VersionRecord>;
  /** The current version's build id; absent: new work goes to unversioned workers. */
  current?: string;
  /** A ramp takes a share of new work: to a version, or (no build id) to unversioned workers. */
  ramping?: { buildId?: string; percentage: number };
  currentChangedTime?: number;
  rampingChangedTime?: number;
  rampingPercentageChangedTime?: number;
  /** Changes with every routing change; a caller that passes one must have seen the latest. */
  conflictToken: string;
  lastModifierIdentity: string;
}

/** Reads a deprecated `name.buildId` version string (the deployment name has no '.'). */
export function parseVersionStringV31(text: string): VersionRef {
  const dot = text.indexOf('.');
  if (dot <= 0 || dot === text.length - 1) throw invalidArgument(`invalid version string "${text}", expected format is "<deployment_name>.<build_id>"`);
  return { deploymentName: text.slice(0, dot), buildId: text.slice(dot + 1) };
}

/** A VersioningOverride from the API (its current or deprecated form), checked as the real server checks it; undefined for none. */
export function parseOverride(o: OverrideProto | null | undefined): Override | undefined {
  if (!o) return undefined;
  if (o.autoUpgrade) return { behavior: Behavior.VERSIONING_BEHAVIOR_AUTO_UPGRADE };
  if (o.pinned) {
    const v = o.pinned.version;
    if (!v) throw invalidArgument('must provide version if override is pinned.');
    if (!o.pinned.behavior) throw invalidArgument('must specify pinned override behavior if override is pinned.');
    return { behavior: Behavior.VERSIONING_BEHAVIOR_PINNED, version: { deploymentName: v.deploymentName ?? '', buildId: v.buildId ?? '' } };
  }
  const behavior = Number(o.behavior ?? 0);
  if (behavior === Behavior.VERSIONING_BEHAVIOR_PINNED) {
    if (o.deployment?.seriesName && o.deployment.buildId) return { behavior, version: { deploymentName: o.deployment.seriesName, buildId: o.deployment.buildId } };
    if (o.pinnedVersion) return { behavior, version: parseVersionStringV31(o.pinnedVersion) };
    throw invalidArgument("must provide deployment (deprecated) or pinned version if behavior is 'PINNED'");
  }
  if (behavior === Behavior.VERSIONING_BEHAVIOR_AUTO_UPGRADE) {
    if (o.deployment) throw invalidArgument("only provide deployment if behavior is 'PINNED'");
    if (o.pinnedVersion) throw invalidArgument("only provide pinned version if behavior is 'PINNED'");
    return { behavior };
  }
  if (!behavior) throw invalidArgument('override behavior is required');
  throw invalidArgument(`override behavior ${behavior} not recognized`);
}

/** An override as the API shows it: its current form, with the deprecated fields filled in too. */
export function overrideProto(o: Override | undefined): OverrideProto | undefined {
  if (!o) return undefined;
  if (!o.version) return { autoUpgrade: true, behavior: o.behavior };
  return {
    pinned: { behavior: PINNED_OVERRIDE, version: o.version },
    behavior: o.behavior,
    pinnedVersion: versionStringV31(o.version),
  };
}

export const deploymentKey = (namespace: string, name: string): string => `${namespace}\u0000${name}`;

/** A workflow id's place in [0, 100) for ramping: deterministic, so a workflow keeps its side of a ramp. */
function rampPoint(id: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) {
    h ^= id.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return (100 * h) / 2 ** 32;
}

const QUEUE_TYPES: Record<QueueType, number> = {
  workflow: enums.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
  activity: enums.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
  nexus: enums.TaskQueueType.TASK_QUEUE_TYPE_NEXUS,
};
const queueTypeOf = (type: QueueType): number => QUEUE_TYPES[type];

/**
 * Worker Deployments (worker versioning), as the real server routes with them: a versioned
 * worker's polls register its version and task queues; new workflows, and auto-upgrade ones at
 * each task, go to the current version of their task queue's deployment (or its ramp, by
 * workflow id); a pinned workflow stays on its version; unversioned workers get what no
 * version is routed to. Deployments are journaled whole with each change.
 */
export class Deployments {
  readonly byKey = new Map<string, DeploymentRecord>();

  constructor(private readonly engine: Engine) {}

  get(namespace: string, name: string): DeploymentRecord | undefined {
    return this.byKey.get(deploymentKey(namespace, name));
  }

  inNamespace(namespace: string): DeploymentRecord[] {
    return [...this.byKey.values()].filter((d) => d.namespace === namespace);
  }

  /** A versioned worker polls: its deployment, version and task queue are known from now on (a change only when new). */
  register(namespace: string, version: VersionRef, queue: string, type: QueueType): void {
    const now = this.engine.now();
    const key = deploymentKey(namespace, version.deploymentName);
    let dep = this.byKey.get(key);
    const typeNumber = queueTypeOf(type);
    if (dep?.versions[version.buildId]?.taskQueues.some((q) => q.name === queue && q.type === typeNumber)) return;
    if (!dep) {
      dep = { namespace, name: version.deploymentName, createTime: now, versions: {}, conflictToken: String(now), lastModifierIdentity: '' };
      this.byKey.set(key, dep);
    }
    const v = (dep.versions[version.buildId] ??= { buildId: version.buildId, createTime: now, taskQueues: [], rampPercentage: 0, metadata: {} });
    v.taskQueues.push({ name: queue, type: typeNumber });
    this.engine.touchDeployment(dep);
    this.engine.log.info('worker deployment version registered', { namespace, version: versionKey(version), taskQueue: queue, type });
  }

  /** The deployment a task queue belongs to (the one whose versions poll it, the latest routed if several). */
  private deploymentOfQueue(namespace: string, queue: string, type: number): DeploymentRecord | undefined {
    let found: DeploymentRecord | undefined;
    for (const dep of this.byKey.values()) {
      if (dep.namespace !== namespace) continue;
      if (!Object.values(dep.versions).some((v) => v.taskQueues.some((q) => q.name === queue && q.type === type))) continue;
      if (!found || (dep.currentChangedTime ?? 0) > (found.currentChangedTime ?? 0)) found = dep;
    }
    return found;
  }

  private hasQueue(dep: DeploymentRecord, buildId: string | undefined, queue: string, type: number): boolean {
    return !!buildId && !!dep.versions[buildId]?.taskQueues.some((q) => q.name === queue && q.type === type);
  }

  /**
   * Where new (or auto-upgrade) work on a queue goes: the version key of its deployment's
   * current version, or of the ramping one for the workflow ids on the ramp's side, if that
   * version polls the queue; '' for unversioned workers.
   */
  queueTarget(namespace: string, queue: string, type: QueueType, id: string): string {
    const typeNumber = queueTypeOf(type);
    const dep = this.deploymentOfQueue(namespace, queue, typeNumber);
    if (!dep) return '';
    const current = this.hasQueue(dep, dep.current, queue, typeNumber) ? dep.current : undefined;
    let target = current;
    const ramp = dep.ramping;
    if (ramp && ramp.percentage > 0 && (ramp.percentage >= 100 || rampPoint(id) < ramp.percentage)) {
      // A ramp to a version covers its own queues; a ramp to unversioned, the current version's.
      if (ramp.buildId ? this.hasQueue(dep, ramp.buildId, queue, typeNumber) : current) target = ramp.buildId;
    }
    return target ? versionKey({ deploymentName: dep.name, buildId: target }) : '';
  }

  /** DescribeTaskQueue's versioning info: the routing of the deployment the queue belongs to; undefined for an unversioned queue. */
  queueVersioningInfo(namespace: string, queue: string, type: QueueType): Record<string, unknown> | undefined {
    const dep = this.deploymentOfQueue(namespace, queue, queueTypeOf(type));
    if (!dep) return undefined;
    const ref = (buildId: string): VersionRef => ({ deploymentName: dep.name, buildId });
    const updated = Math.max(dep.currentChangedTime ?? 0, dep.rampingPercentageChangedTime ?? 0);
    return {
      currentDeploymentVersion: dep.current ? ref(dep.current) : undefined,
      currentVersion: dep.current ? versionStringV31(ref(dep.current)) : UNVERSIONED,
      rampingDeploymentVersion: dep.ramping?.buildId ? ref(dep.ramping.buildId) : undefined,
      rampingVersion: dep.ramping ? (dep.ramping.buildId ? versionStringV31(ref(dep.ramping.buildId)) : UNVERSIONED) : '',
      rampingVersionPercentage: dep.ramping?.percentage ?? 0,
      updateTime: updated ? msTimestamp(updated) : undefined,
    };
  }

  /** The version a run is pinned to (by an override, or by its worker's pinned behavior), if any. */
  pinnedVersion(run: Execution): VersionRef | undefined {
    const override = run.visible.versioningOverride;
    if (override) return override.behavior === Behavior.VERSIONING_BEHAVIOR_PINNED ? override.version : undefined;
    const v = run.visible.versioning;
    return v?.behavior === Behavior.VERSIONING_BEHAVIOR_PINNED ? v.version : undefined;
  }

  /**
   * What a new run (a child, a continue-as-new, a retry) inherits from the run it comes from:
   * that run's pinned version, when the version polls the new run's task queue.
   */
  inheritedVersion(from: Execution, queue: string): VersionRef | undefined {
    const pinned = this.pinnedVersion(from);
    const dep = pinned && this.get(from.state.namespace, pinned.deploymentName);
    return dep && this.hasQueue(dep, pinned.buildId, queue, queueTypeOf('workflow')) ? pinned : undefined;
  }

  /** As the real server: a pinned override must name a version that polls the workflow's task queue. */
  checkOverride(namespace: string, taskQueue: string, o: Override | undefined): void {
    if (!o?.version) return;
    const dep = this.get(namespace, o.version.deploymentName);
    if (!dep || !this.hasQueue(dep, o.version.buildId, taskQueue, queueTypeOf('workflow'))) throw failedPrecondition('Pinned version is not present in the task queue');
  }

  /** The version key a run's workflow tasks go to. */
  wftTarget(run: Execution): string {
    const pinned = this.pinnedVersion(run);
    return pinned ? versionKey(pinned) : this.queueTarget(run.state.namespace, run.state.taskQueue, 'workflow', run.state.workflowId);
  }

  /** The version key an activity task goes to: a pinned workflow's version when it polls the queue, else the queue's routing. */
  activityTarget(run: Execution, queue: string): string {
    const pinned = this.pinnedVersion(run);
    if (pinned) {
      const dep = this.get(run.state.namespace, pinned.deploymentName);
      if (dep && this.hasQueue(dep, pinned.buildId, queue, queueTypeOf('activity'))) return versionKey(pinned);
    }
    return this.queueTarget(run.state.namespace, queue, 'activity', run.state.workflowId);
  }

  /** Matching's router: the version key of the pollers that may take `task`. */
  taskTarget(namespace: string, queue: string, type: QueueType, task: Task): string {
    if (!this.byKey.size) return '';
    // A Nexus task is the handler's: it goes by the handler queue's routing.
    if (task.kind === 'nexus') return this.queueTarget(namespace, queue, 'nexus', '');
    const runId = task.kind === 'query' ? this.engine.queries.runIdOf(task.queryId) : task.runId;
    const run = runId ? this.engine.runs.get(runId) : undefined;
    if (!run) return this.queueTarget(namespace, queue, type, '');
    if (task.kind === 'activity') return run.state.kind === 'activity' ? this.queueTarget(namespace, queue, 'activity', run.state.workflowId) : this.activityTarget(run, queue);
    return this.wftTarget(run);
  }

  /** Open workflows pinned to a version: while there are any, a version that stopped being current drains. */
  pinnedOpenRuns(namespace: string, version: VersionRef): number {
    let n = 0;
    for (const run of this.engine.openRuns) {
      const pinned = run.visible.namespace === namespace ? this.pinnedVersion(run) : undefined;
      if (pinned && pinned.deploymentName === version.deploymentName && pinned.buildId === version.buildId) n++;
    }
    return n;
  }

  status(dep: DeploymentRecord, v: VersionRecord): number {
    if (dep.current === v.buildId) return Status.WORKER_DEPLOYMENT_VERSION_STATUS_CURRENT;
    if (dep.ramping?.buildId === v.buildId) return Status.WORKER_DEPLOYMENT_VERSION_STATUS_RAMPING;
    if (!v.lastDeactivationTime) return Status.WORKER_DEPLOYMENT_VERSION_STATUS_INACTIVE;
    return this.pinnedOpenRuns(dep.namespace, { deploymentName: dep.name, buildId: v.buildId })
      ? Status.WORKER_DEPLOYMENT_VERSION_STATUS_DRAINING
      : Status.WORKER_DEPLOYMENT_VERSION_STATUS_DRAINED;
  }

  /** After recovery: the deployments as the journal last had them. */
  recover(records: DeploymentRecord[]): void {
    for (const dep of records) this.byKey.set(deploymentKey(dep.namespace, dep.name), dep);
  }

  delete(dep: DeploymentRecord): void {
    const key = deploymentKey(dep.namespace, dep.name);
    this.byKey.delete(key);
    this.engine.deploymentDeleted(key);
  }
}
