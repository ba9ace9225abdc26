import { randomUUID } from 'node:crypto';
import { status } from '@grpc/grpc-js';
import {
  parseOverride,
  parseVersionStringV31,
  UNVERSIONED,
  overrideProto,
  versionKey,
  versionStringV31,
  type DeploymentRecord,
  type VersionRecord,
  type VersionRef,
} from '../deployments/deployments';
import type { Engine } from '../engine';
import { alreadyCompleted, EngineError, failedPrecondition, invalidArgument } from '../grpc/errors';
import type { Handler } from '../grpc/server';
import type { QueueType } from '../matching';
import { addExternal } from '../model/events';
import { recordVersioningAttributes } from '../model/properties';
import { enums, type temporal, type Plain } from '../proto';
import { msTimestamp } from '../time';
import { pollersOf } from './pollers';

type W = typeof temporal.api.workflowservice.v1;
type Req<K extends keyof W> = W[K] extends { prototype: infer P } ? Plain<P> : never;

const Status = enums.WorkerDeploymentVersionStatus;
const Drainage = enums.VersionDrainageStatus;

const notFound = (message: string): EngineError => new EngineError(status.NOT_FOUND, message);
const timestamp = (ms: number | undefined): ReturnType<typeof msTimestamp> | undefined => (ms ? msTimestamp(ms) : undefined);
const queueType = (type: number): QueueType =>
  type === enums.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY ? 'activity' : type === enums.TaskQueueType.TASK_QUEUE_TYPE_NEXUS ? 'nexus' : 'workflow';

/** The real server's checks on a deployment name or build id. */
function checkField(field: 'WorkerDeploymentName' | 'BuildID', value: string): void {
  if (!value) throw invalidArgument(`${field} cannot be empty`);
  if (field === 'WorkerDeploymentName' && (value.includes('.') || value.includes(':')))
    throw invalidArgument(`worker deployment name cannot contain '${value.includes('.') ? '.' : ':'}'`);
  if (value.startsWith('__')) throw invalidArgument(`${field} cannot start with '__'`);
}

/** A version named by a request: its deprecated `name.buildId` string, or its structured form. */
function versionOf(req: { version?: string | null; deploymentVersion?: { deploymentName?: string | null; buildId?: string | null } | null }): VersionRef {
  const v = req.deploymentVersion?.buildId
    ? { deploymentName: req.deploymentVersion.deploymentName ?? '', buildId: req.deploymentVersion.buildId }
    : parseVersionStringV31(req.version ?? '');
  checkField('WorkerDeploymentName', v.deploymentName);
  checkField('BuildID', v.buildId);
  return v;
}

/** Worker Deployment APIs (describe, list, routing, delete, metadata) and UpdateWorkflowExecutionOptions. */
export function deploymentHandlers(engine: Engine): Record<string, Handler> {
  const pollers = pollersOf(engine);

  const find = (namespace: string | null | undefined, name: string | null | undefined): DeploymentRecord => {
    const ns = engine.namespaces.get(namespace).name;
    checkField('WorkerDeploymentName', name ?? '');
    const dep = engine.deployments.get(ns, name ?? '');
    if (!dep) throw notFound(`no Worker Deployment found with name ${name ?? ''}; does your Worker Deployment have pollers?`);
    return dep;
  };
  const findVersion = (namespace: string | null | undefined, v: VersionRef): { dep: DeploymentRecord; version: VersionRecord } => {
    const dep = engine.deployments.get(engine.namespaces.get(namespace).name, v.deploymentName);
    const version = dep?.versions[v.buildId];
    if (!dep || !version) throw notFound('Worker Deployment Version not found');
    return { dep, version };
  };
  const ref = (dep: DeploymentRecord, buildId: string): VersionRef => ({ deploymentName: dep.name, buildId });

  /** Whether a worker of this version polled one of the version's queues in the last five minutes. */
  const hasPollers = (dep: DeploymentRecord, v: VersionRecord, queues = v.taskQueues): boolean =>
    queues.some((q) =>
      pollers.list(dep.namespace, q.name, queueType(q.type)).some((p) => p.deploymentOptions?.deploymentName === dep.name && p.deploymentOptions.buildId === v.buildId),
    );
  /** The current version's queues a proposed version lacks while workers still poll them: they would become unversioned. */
  const missingQueues = (dep: DeploymentRecord, proposed: string): boolean => {
    const current = dep.current ? dep.versions[dep.current] : undefined;
    const next = dep.versions[proposed];
    if (!current || !next) return false;
    const lacking = current.taskQueues.filter((q) => !next.taskQueues.some((n) => n.name === q.name && n.type === q.type));
    return hasPollers(dep, current, lacking);
  };

  const drainage = (dep: DeploymentRecord, v: VersionRecord): { status: number; lastChangedTime?: object; lastCheckedTime?: object } | undefined => {
    const s = engine.deployments.status(dep, v);
    if (s !== Status.WORKER_DEPLOYMENT_VERSION_STATUS_DRAINING && s !== Status.WORKER_DEPLOYMENT_VERSION_STATUS_DRAINED) return undefined;
    return {
      status: s === Status.WORKER_DEPLOYMENT_VERSION_STATUS_DRAINING ? Drainage.VERSION_DRAINAGE_STATUS_DRAINING : Drainage.VERSION_DRAINAGE_STATUS_DRAINED,
      lastChangedTime: timestamp(v.lastDeactivationTime),
      lastCheckedTime: msTimestamp(engine.now()),
    };
  };
  const summary = (dep: DeploymentRecord, v: VersionRecord): Record<string, unknown> => {
    const d = drainage(dep, v);
    return {
      version: versionStringV31(ref(dep, v.buildId)),
      deploymentVersion: ref(dep, v.buildId),
      status: engine.deployments.status(dep, v),
      createTime: msTimestamp(v.createTime),
      drainageStatus: d?.status,
      drainageInfo: d,
      currentSinceTime: timestamp(v.currentSinceTime),
      rampingSinceTime: timestamp(v.rampingSinceTime),
      routingUpdateTime: timestamp(v.routingUpdateTime),
      firstActivationTime: timestamp(v.firstActivationTime),
      lastCurrentTime: timestamp(v.lastCurrentTime),
      lastDeactivationTime: timestamp(v.lastDeactivationTime),
    };
  };
  const routingConfig = (dep: DeploymentRecord): Record<string, unknown> => ({
    currentDeploymentVersion: dep.current ? ref(dep, dep.current) : undefined,
    currentVersion: dep.current ? versionStringV31(ref(dep, dep.current)) : UNVERSIONED,
    rampingDeploymentVersion: dep.ramping?.buildId ? ref(dep, dep.ramping.buildId) : undefined,
    rampingVersion: dep.ramping ? (dep.ramping.buildId ? versionStringV31(ref(dep, dep.ramping.buildId)) : UNVERSIONED) : '',
    rampingVersionPercentage: dep.ramping?.percentage ?? 0,
    currentVersionChangedTime: timestamp(dep.currentChangedTime),
    rampingVersionChangedTime: timestamp(dep.rampingChangedTime),
    rampingVersionPercentageChangedTime: timestamp(dep.rampingPercentageChangedTime),
  });
  const token = (dep: DeploymentRecord): Buffer => Buffer.from(dep.conflictToken, 'utf8');
  /** The checks every routing change makes first: the caller saw the latest state, and the version exists (or may be created). */
  const checkChange = (dep: DeploymentRecord, buildId: string | undefined, conflictToken: Uint8Array | null | undefined, allowNoPollers: boolean): void => {
    if (conflictToken?.length && Buffer.from(conflictToken).toString('utf8') !== dep.conflictToken) throw failedPrecondition('conflict token mismatch');
    if (buildId && !dep.versions[buildId] && !allowNoPollers) throw notFound(`version ${versionStringV31(ref(dep, buildId))} not found in deployment`);
  };
  const changed = (dep: DeploymentRecord, identity: string, buildId: string | undefined): void => {
    const now = engine.now();
    // A version named before any worker polled it (allowNoPollers) starts without task queues.
    if (buildId) dep.versions[buildId] ??= { buildId, createTime: now, taskQueues: [], rampPercentage: 0, metadata: {} };
    dep.conflictToken = randomUUID();
    dep.lastModifierIdentity = identity;
    engine.touchDeployment(dep);
  };
  /** Runs a routing change, then hands tasks already waiting to the pollers they now route to. */
  const reroute = (change: () => void): void =>
    engine.tx(() => {
      change();
      engine.matching.rematch();
    });
  /** The build id a routing request names: its deprecated version string (`__unversioned__` for none), else its build id. */
  const targetOf = (dep: DeploymentRecord, req: { version?: string | null; buildId?: string | null }): string | undefined => {
    if (req.version) {
      if (req.version === UNVERSIONED) return undefined;
      const v = parseVersionStringV31(req.version);
      if (v.deploymentName !== dep.name) throw invalidArgument(`version ${req.version} is not in deployment ${dep.name}`);
      return v.buildId;
    }
    return req.buildId || undefined;
  };

  return {
    DescribeWorkerDeployment: (req: Req<'DescribeWorkerDeploymentRequest'>) => {
      const dep = find(req.namespace, req.deploymentName);
      return {
        conflictToken: token(dep),
        workerDeploymentInfo: {
          name: dep.name,
          versionSummaries: Object.values(dep.versions).map((v) => summary(dep, v)),
          createTime: msTimestamp(dep.createTime),
          routingConfig: routingConfig(dep),
          lastModifierIdentity: dep.lastModifierIdentity,
        },
      };
    },

    ListWorkerDeployments: (req: Req<'ListWorkerDeploymentsRequest'>) => {
      const deps = engine.deployments.inNamespace(engine.namespaces.get(req.namespace).name).sort((a, b) => b.createTime - a.createTime || (a.name < b.name ? -1 : 1));
      const offset = req.nextPageToken?.length ? Number(Buffer.from(req.nextPageToken).toString('utf8')) || 0 : 0;
      const size = Number(req.pageSize ?? 0) > 0 ? Number(req.pageSize) : 1000;
      const page = deps.slice(offset, offset + size);
      return {
        workerDeployments: page.map((dep) => {
          const latest = Object.values(dep.versions).sort((a, b) => b.createTime - a.createTime)[0];
          return {
            name: dep.name,
            createTime: msTimestamp(dep.createTime),
            routingConfig: routingConfig(dep),
            latestVersionSummary: latest ? summary(dep, latest) : undefined,
            currentVersionSummary: dep.current ? summary(dep, dep.versions[dep.current]) : undefined,
            rampingVersionSummary: dep.ramping?.buildId ? summary(dep, dep.versions[dep.ramping.buildId]) : undefined,
          };
        }),
        nextPageToken: offset + page.length < deps.length ? Buffer.from(String(offset + page.length), 'utf8') : undefined,
      };
    },

    DescribeWorkerDeploymentVersion: (req: Req<'DescribeWorkerDeploymentVersionRequest'>) => {
      const { dep, version: v } = findVersion(req.namespace, versionOf(req));
      const queues = v.taskQueues.map((q) => ({
        name: q.name,
        type: q.type,
        stats: req.reportTaskQueueStats ? { approximateBacklogCount: engine.matching.stats(dep.namespace, q.name, queueType(q.type)).backlog } : undefined,
      }));
      return {
        workerDeploymentVersionInfo: {
          ...summary(dep, v),
          deploymentName: dep.name,
          routingChangedTime: timestamp(v.routingUpdateTime),
          rampPercentage: v.rampPercentage,
          taskQueueInfos: v.taskQueues,
          drainageInfo: drainage(dep, v),
          metadata: { entries: v.metadata },
        },
        versionTaskQueues: queues,
      };
    },

    SetWorkerDeploymentCurrentVersion: (req: Req<'SetWorkerDeploymentCurrentVersionRequest'>) => {
      const dep = find(req.namespace, req.deploymentName);
      const buildId = targetOf(dep, req);
      const identity = req.identity ?? '';
      const previous = dep.current;
      const answer = (): object => ({
        conflictToken: token(dep),
        previousVersion: previous ? versionStringV31(ref(dep, previous)) : UNVERSIONED,
        previousDeploymentVersion: previous ? ref(dep, previous) : undefined,
      });
      // The same request again changes nothing.
      if (previous === buildId && dep.lastModifierIdentity === identity) return answer();
      checkChange(dep, buildId, req.conflictToken, !!req.allowNoPollers);
      if (!req.ignoreMissingTaskQueues && buildId && missingQueues(dep, buildId)) {
        throw failedPrecondition(
          'proposed current version is missing active task queues from the current version; these would become unversioned if it is set as the current version',
        );
      }
      reroute(() => {
        const now = engine.now();
        if (previous && previous !== buildId)
          Object.assign(dep.versions[previous], { currentSinceTime: undefined, lastCurrentTime: now, lastDeactivationTime: now, routingUpdateTime: now });
        if (buildId) {
          changed(dep, identity, buildId);
          const v = dep.versions[buildId];
          Object.assign(v, { currentSinceTime: now, routingUpdateTime: now, firstActivationTime: v.firstActivationTime ?? now, lastDeactivationTime: undefined });
          // A ramping version promoted to current stops ramping.
          if (dep.ramping?.buildId === buildId) {
            Object.assign(v, { rampingSinceTime: undefined, rampPercentage: 0 });
            dep.ramping = undefined;
            dep.rampingChangedTime = dep.rampingPercentageChangedTime = now;
          }
        } else changed(dep, identity, undefined);
        dep.current = buildId;
        dep.currentChangedTime = now;
        engine.log.info('worker deployment current version set', { namespace: dep.namespace, deployment: dep.name, buildId: buildId ?? UNVERSIONED, previous });
      });
      return answer();
    },

    SetWorkerDeploymentRampingVersion: (req: Req<'SetWorkerDeploymentRampingVersionRequest'>) => {
      const dep = find(req.namespace, req.deploymentName);
      const percentage = Number(req.percentage ?? 0);
      if (!(percentage >= 0 && percentage <= 100)) throw invalidArgument('Percentage must be between 0 and 100 (inclusive)');
      const unset = !req.version && !req.buildId;
      const buildId = unset ? undefined : targetOf(dep, req);
      const identity = req.identity ?? '';
      const previous = dep.ramping;
      const answer = (): object => ({
        conflictToken: token(dep),
        previousVersion: previous ? (previous.buildId ? versionStringV31(ref(dep, previous.buildId)) : UNVERSIONED) : '',
        previousDeploymentVersion: previous?.buildId ? ref(dep, previous.buildId) : undefined,
        previousPercentage: previous?.percentage ?? 0,
      });
      const same = unset ? !previous : previous?.buildId === buildId && previous?.percentage === percentage;
      if (same && dep.lastModifierIdentity === identity) return answer();
      checkChange(dep, buildId, req.conflictToken, !!req.allowNoPollers);
      if (!unset && buildId === dep.current) {
        throw failedPrecondition(`requested ramping version ${buildId ? versionStringV31(ref(dep, buildId)) : UNVERSIONED} is already current`);
      }
      if (!req.ignoreMissingTaskQueues && buildId && missingQueues(dep, buildId)) {
        throw failedPrecondition(
          'proposed ramping version is missing active task queues from the current version; these would become unversioned if it is set as the ramping version',
        );
      }
      reroute(() => {
        const now = engine.now();
        const versionChanged = unset || previous?.buildId !== buildId || !previous;
        if (previous?.buildId && previous.buildId !== buildId) {
          Object.assign(dep.versions[previous.buildId], { rampingSinceTime: undefined, rampPercentage: 0, lastDeactivationTime: now, routingUpdateTime: now });
        }
        changed(dep, identity, buildId);
        if (buildId) {
          const v = dep.versions[buildId];
          Object.assign(v, {
            rampingSinceTime: versionChanged ? now : (v.rampingSinceTime ?? now),
            rampPercentage: percentage,
            routingUpdateTime: now,
            firstActivationTime: v.firstActivationTime ?? now,
            lastDeactivationTime: undefined,
          });
        }
        dep.ramping = unset ? undefined : { buildId, percentage };
        if (versionChanged) dep.rampingChangedTime = now;
        dep.rampingPercentageChangedTime = now;
        engine.log.info('worker deployment ramping version set', { namespace: dep.namespace, deployment: dep.name, buildId: unset ? '' : (buildId ?? UNVERSIONED), percentage });
      });
      return answer();
    },

    DeleteWorkerDeploymentVersion: (req: Req<'DeleteWorkerDeploymentVersionRequest'>) => {
      const { dep, version: v } = findVersion(req.namespace, versionOf(req));
      const s = engine.deployments.status(dep, v);
      if (s === Status.WORKER_DEPLOYMENT_VERSION_STATUS_CURRENT || s === Status.WORKER_DEPLOYMENT_VERSION_STATUS_RAMPING) {
        throw failedPrecondition('Version cannot be deleted since it is current or ramping.');
      }
      if (s === Status.WORKER_DEPLOYMENT_VERSION_STATUS_DRAINING && !req.skipDrainage) throw failedPrecondition('Version cannot be deleted since it is draining.');
      if (hasPollers(dep, v)) throw failedPrecondition('Version cannot be deleted since it has active pollers.');
      reroute(() => {
        delete dep.versions[v.buildId];
        changed(dep, req.identity ?? dep.lastModifierIdentity, undefined);
      });
      return {};
    },

    DeleteWorkerDeployment: (req: Req<'DeleteWorkerDeploymentRequest'>) => {
      const dep = find(req.namespace, req.deploymentName);
      if (Object.keys(dep.versions).length) throw failedPrecondition("deployment has versions, can't be deleted");
      engine.tx(() => engine.deployments.delete(dep));
      return {};
    },

    UpdateWorkerDeploymentVersionMetadata: (req: Req<'UpdateWorkerDeploymentVersionMetadataRequest'>) => {
      const { dep, version: v } = findVersion(req.namespace, versionOf(req));
      engine.tx(() => {
        Object.assign(v.metadata, req.upsertEntries ?? {});
        for (const key of req.removeEntries ?? []) delete v.metadata[key];
        engine.touchDeployment(dep);
      });
      return { metadata: { entries: v.metadata } };
    },

    UpdateWorkflowExecutionOptions: (req: Req<'UpdateWorkflowExecutionOptionsRequest'>) => {
      const ns = engine.namespaces.get(req.namespace).name;
      const run = engine.findRun(ns, req.workflowExecution);
      const paths = req.updateMask?.paths ?? [];
      if (!req.updateMask) throw invalidArgument('UpdateMask is required');
      for (const path of paths) {
        if (path !== 'versioning_override' && path !== 'versioningOverride') {
          throw new EngineError(status.UNIMPLEMENTED, `UpdateWorkflowExecutionOptions of ${path} is not implemented by the Durafax engine`);
        }
      }
      if (!run.open) throw alreadyCompleted();
      if (!paths.length) return { workflowExecutionOptions: { versioningOverride: overrideProto(run.state.versioningOverride) } };
      const override = parseOverride(req.workflowExecutionOptions?.versioningOverride);
      engine.deployments.checkOverride(ns, run.state.taskQueue, override);
      engine.tx(() => {
        const event = addExternal(engine, run, enums.EventType.EVENT_TYPE_WORKFLOW_EXECUTION_OPTIONS_UPDATED, 'workflowExecutionOptionsUpdatedEventAttributes', {
          versioningOverride: overrideProto(override),
          unsetVersioningOverride: !override,
          identity: req.identity ?? '',
        });
        // Nothing for the workflow code: a worker that does not know the event (this SDK's) may skip it.
        event.workerMayIgnore = true;
        run.state.versioningOverride = override;
        recordVersioningAttributes(run);
        engine.touch(run);
        engine.matching.rematch();
        engine.log.info('workflow versioning override', {
          namespace: ns,
          workflowId: run.state.workflowId,
          override: override?.version ? versionKey(override.version) : override ? 'auto-upgrade' : 'unset',
        });
      });
      return { workflowExecutionOptions: { versioningOverride: overrideProto(override) } };
    },
  };
}
