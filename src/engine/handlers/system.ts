import type { Engine } from '../engine';
import { EngineError, invalidArgument } from '../grpc/errors';
import type { Handler } from '../grpc/server';
import { INDEXED_TYPE_NAMES, newNamespace, SYSTEM_SEARCH_ATTRIBUTES } from '../namespaces';
import { enums, type DescribeNamespaceReq, type DescribeTaskQueueReq, type RegisterNamespaceReq } from '../proto';
import { durationMs, msDuration, msTimestamp } from '../time';
import { pollersOf } from './pollers';
import type { NamespaceState } from '../namespaces';
import { status } from '@grpc/grpc-js';

export const SERVER_VERSION = '1.27.0';
/** How the engine names itself in GetClusterInfo (so a client can tell it from a real server). */
const ENGINE_CLUSTER_ID = 'durafax-engine';

function namespaceInfo(engine: Engine, ns: NamespaceState): Record<string, unknown> {
  return {
    namespaceInfo: {
      name: ns.name,
      state: enums.NamespaceState.NAMESPACE_STATE_REGISTERED,
      description: ns.description,
      id: ns.id,
      capabilities: { eagerWorkflowStart: engine.config.eagerWorkflowStart, syncUpdate: true, asyncUpdate: true },
      supportsSchedules: true,
    },
    config: {
      workflowExecutionRetentionTtl: msDuration(ns.retentionMs),
      historyArchivalState: enums.ArchivalState.ARCHIVAL_STATE_DISABLED,
      visibilityArchivalState: enums.ArchivalState.ARCHIVAL_STATE_DISABLED,
      customSearchAttributeAliases: {},
    },
    replicationConfig: { activeClusterName: 'active', clusters: [{ clusterName: 'active' }] },
    isGlobalNamespace: false,
  };
}

export function systemHandlers(engine: Engine): Record<string, Handler> {
  return {
    GetSystemInfo: () => ({
      serverVersion: SERVER_VERSION,
      capabilities: {
        signalAndQueryHeader: true,
        internalErrorDifferentiation: true,
        activityFailureIncludeHeartbeat: true,
        supportsSchedules: true,
        encodedFailureAttributes: true,
        // As the real server: workers then stamp each completed task with their build id (recorded
        // in WorkflowTaskCompleted, read back by workflowInfo().currentBuildId on replay, and in BuildIds).
        buildIdBasedVersioning: true,
        upsertMemo: true,
        eagerWorkflowStart: engine.config.eagerWorkflowStart,
        sdkMetadata: true,
        countGroupByExecutionStatus: true,
        nexus: false,
      },
    }),

    GetClusterInfo: () => ({
      supportedClients: {},
      serverVersion: SERVER_VERSION,
      clusterId: ENGINE_CLUSTER_ID,
      clusterName: 'active',
      historyShardCount: 1,
      persistenceStore: engine.store.durable ? 'journal' : 'memory',
      visibilityStore: 'memory',
    }),

    DescribeNamespace: (req: DescribeNamespaceReq) => namespaceInfo(engine, engine.namespaces.get(req.namespace)),

    ListNamespaces: () => ({ namespaces: [...engine.namespaces.byName.values()].map((ns) => namespaceInfo(engine, ns)) }),

    RegisterNamespace: (req: RegisterNamespaceReq) => {
      const name = req.namespace;
      if (!name) throw invalidArgument('Namespace is not set on request.');
      if (engine.namespaces.byName.has(name)) throw new EngineError(status.ALREADY_EXISTS, `Namespace ${name} already exists.`);
      const ns = newNamespace(name);
      ns.description = req.description ?? '';
      ns.retentionMs = durationMs(req.workflowExecutionRetentionPeriod) || ns.retentionMs;
      engine.tx(() => {
        engine.namespaces.byName.set(name, ns);
        engine.touchNamespace(ns);
      });
      return {};
    },

    GetSearchAttributes: () => ({ keys: { ...SYSTEM_SEARCH_ATTRIBUTES, ...engine.namespaces.get('default').searchAttributes } }),

    /** The legacy (default) mode the UI uses: the queue's pollers of one type, and its backlog when asked. */
    DescribeTaskQueue: (req: DescribeTaskQueueReq) => {
      const ns = engine.namespaces.get(req.namespace).name;
      const queue = req.taskQueue?.name;
      if (!queue) throw invalidArgument('TaskQueue is not set on request.');
      if (Number(req.apiMode ?? 0) === enums.DescribeTaskQueueMode.DESCRIBE_TASK_QUEUE_MODE_ENHANCED) {
        throw new EngineError(status.UNIMPLEMENTED, 'DescribeTaskQueue in enhanced mode (worker versioning) is not implemented by the Durafax engine.');
      }
      const type = Number(req.taskQueueType) === enums.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY ? 'activity' : 'workflow';
      const pollers = pollersOf(engine)
        .list(ns, queue, type)
        .map((p) => ({ identity: p.identity, lastAccessTime: msTimestamp(p.lastAccessTime), ratePerSecond: p.ratePerSecond, deploymentOptions: p.deploymentOptions }));
      const stats = engine.matching.stats(ns, queue, type);
      return {
        pollers,
        versioningInfo: engine.deployments.queueVersioningInfo(ns, queue, type),
        taskQueueStatus: req.includeTaskQueueStatus ? { backlogCountHint: stats.backlog, ratePerSecond: 100_000 } : undefined,
      };
    },
  };
}

type AddSearchAttributesReq = { searchAttributes?: Record<string, number> | null; namespace?: string | null };
type RemoveSearchAttributesReq = { searchAttributes?: string[] | null; namespace?: string | null };

/** OperatorService: registering custom search attributes (what `temporal operator search-attribute create` does). */
export function operatorHandlers(engine: Engine): Record<string, Handler> {
  return {
    AddSearchAttributes: (req: AddSearchAttributesReq) => {
      const ns = engine.namespaces.get(req.namespace);
      const attrs = req.searchAttributes ?? {};
      for (const [name, type] of Object.entries(attrs)) {
        if (!type || !Object.values(INDEXED_TYPE_NAMES).includes(type)) throw invalidArgument(`Unable to read search attribute type: ${type}`);
        if (SYSTEM_SEARCH_ATTRIBUTES[name]) throw invalidArgument(`Search attribute ${name} is reserved by system.`);
        const existing = ns.searchAttributes[name];
        if (existing !== undefined && existing !== type) throw new EngineError(status.ALREADY_EXISTS, `Search attribute ${name} already exists.`);
      }
      engine.tx(() => {
        Object.assign(ns.searchAttributes, attrs);
        engine.touchNamespace(ns);
      });
      return {};
    },
    RemoveSearchAttributes: (req: RemoveSearchAttributesReq) => {
      const ns = engine.namespaces.get(req.namespace);
      for (const name of req.searchAttributes ?? []) {
        if (ns.searchAttributes[name] === undefined) throw new EngineError(status.NOT_FOUND, `Search attribute ${name} doesn't exist.`);
      }
      engine.tx(() => {
        for (const name of req.searchAttributes ?? []) delete ns.searchAttributes[name];
        engine.touchNamespace(ns);
      });
      return {};
    },
    ListSearchAttributes: (req: { namespace?: string | null }) => {
      const ns = engine.namespaces.get(req.namespace);
      return { customAttributes: ns.searchAttributes, systemAttributes: SYSTEM_SEARCH_ATTRIBUTES, storageSchema: {} };
    },
  };
}
