import { status } from '@grpc/grpc-js';
import { randomUUID } from 'node:crypto';
import type { Engine } from '../engine';
import { alreadyCompleted, EngineError, invalidArgument } from '../grpc/errors';
import type { Handler } from '../grpc/server';
import { terminateRun } from '../model/close';
import { requestCancelRun, signalRun } from '../model/requests';
import { resetRun } from '../model/reset';
import { endFirstTaskBackoff, waitsOnStartDelay } from '../model/run-timers';
import { createRun, resolveIdConflict, type StartParams } from '../model/start';
import { startWft } from '../model/workflow-task';
import {
  enums,
  protoRoot,
  type DeleteWorkflowExecutionReq,
  type Duration,
  type Payloads,
  type DescribeWorkflowExecutionReq,
  type ResetWorkflowExecutionReq,
  type RequestCancelWorkflowExecutionReq,
  type SignalWithStartReq,
  type SignalWorkflowExecutionReq,
  type StartReq,
  type TerminateWorkflowExecutionReq,
} from '../proto';
import { sizeOf } from '../dynamic-config';
import { parseOverride } from '../deployments/deployments';
import { SYSTEM_CALLBACK_URL } from '../model/nexus';
import { cronBackoffMs, SpecError } from '../schedule/spec';
import { durationMs } from '../time';
import { describeRun } from './describe';
import { noNegative, required } from './common';

type SignalReq = SignalWorkflowExecutionReq;
type CancelReq = RequestCancelWorkflowExecutionReq;
type TerminateReq = TerminateWorkflowExecutionReq;
type DescribeReq = DescribeWorkflowExecutionReq;

const MemoType = protoRoot.lookupType('temporal.api.common.v1.Memo');

/** As the real server: an input or signal over the blob size limit is refused. */
function checkBlob(engine: Engine, payloads: Payloads | null | undefined): void {
  if (sizeOf.payloads(payloads) > engine.config.blobSizeError) throw invalidArgument('Blob data size exceeds limit.');
}

/** The wait before a cron workflow's first run; the real server's refusals of a bad cron schedule. */
function cronFirstDelay(engine: Engine, cron: string, startDelay: Duration | null | undefined): number {
  if (durationMs(startDelay) > 0) throw invalidArgument('CronSchedule and WorkflowStartDelay may not be used together.');
  try {
    return cronBackoffMs(cron, engine.now());
  } catch (err) {
    if (err instanceof SpecError) throw invalidArgument(`Invalid CronSchedule: ${err.message}`);
    throw err;
  }
}

/** What StartWorkflowExecution and SignalWithStart share: checks and the new run's parameters. */
export function startParams(engine: Engine, req: StartReq | SignalWithStartReq): StartParams {
  const namespace = engine.namespaces.get(req.namespace).name;
  const workflowId = required(req.workflowId, 'WorkflowId');
  const workflowType = required(req.workflowType?.name, 'WorkflowType');
  const taskQueue = required(req.taskQueue?.name, 'TaskQueue');
  noNegative({
    WorkflowExecutionTimeout: req.workflowExecutionTimeout,
    WorkflowRunTimeout: req.workflowRunTimeout,
    WorkflowTaskTimeout: req.workflowTaskTimeout,
    WorkflowStartDelay: req.workflowStartDelay,
  });
  const cronDelayMs = req.cronSchedule ? cronFirstDelay(engine, req.cronSchedule, req.workflowStartDelay) : 0;
  const saError = engine.checkSearchAttributes(namespace, req.searchAttributes?.indexedFields);
  if (saError) throw invalidArgument(saError);
  checkBlob(engine, req.input);
  if (req.memo && MemoType.encode(req.memo).len > engine.config.memoSizeError) throw invalidArgument('Memo size exceeds limit.');
  // A Nexus handler's workflow carries the caller's completion callback; the engine delivers only its own.
  const completionCallbacks = ('completionCallbacks' in req ? (req.completionCallbacks ?? []) : []).map((c) => {
    if (!c.nexus || c.nexus.url !== SYSTEM_CALLBACK_URL) {
      throw new EngineError(status.UNIMPLEMENTED, `Completion callbacks to other URLs than ${SYSTEM_CALLBACK_URL} are not implemented by the Durafax engine`);
    }
    return { url: c.nexus.url, header: { ...(c.nexus.header ?? {}) } };
  });
  const versioningOverride = parseOverride(req.versioningOverride);
  engine.deployments.checkOverride(namespace, taskQueue, versioningOverride);
  return {
    namespace,
    workflowId,
    workflowType,
    taskQueue,
    input: req.input,
    header: req.header,
    memo: req.memo?.fields,
    searchAttributes: req.searchAttributes?.indexedFields,
    executionTimeoutMs: durationMs(req.workflowExecutionTimeout),
    runTimeoutMs: durationMs(req.workflowRunTimeout),
    taskTimeoutMs: durationMs(req.workflowTaskTimeout),
    retryPolicy: req.retryPolicy,
    identity: req.identity ?? '',
    requestId: req.requestId || randomUUID(),
    // A cron workflow's first run waits for the schedule's first time, as the real server.
    startDelayMs: req.cronSchedule ? cronDelayMs : durationMs(req.workflowStartDelay),
    cronSchedule: req.cronSchedule || undefined,
    userMetadata: req.userMetadata,
    priority: req.priority,
    versioningOverride,
    completionCallbacks: completionCallbacks.length ? completionCallbacks : undefined,
  };
}

export function workflowHandlers(engine: Engine): Record<string, Handler> {
  return {
    StartWorkflowExecution: (req: StartReq) => {
      const p = startParams(engine, req);
      return engine.tx(() => {
        const existing = resolveIdConflict(engine, p.namespace, p.workflowId, p.requestId, {
          reuse: req.workflowIdReusePolicy ?? 0,
          conflict: req.workflowIdConflictPolicy ?? 0,
        });
        if (existing) return { runId: existing.run.runId, started: existing.started };
        // Eager start: the caller's worker (it reserved a slot) gets the first task in the response,
        // so the task does not go to the queue where another poller could take it first.
        const eager = !!req.requestEagerExecution && engine.config.eagerWorkflowStart;
        const run = createRun(engine, { ...p, eager });
        const wft = run.state.wft;
        const eagerWorkflowTask =
          eager && wft?.phase === 'scheduled' ? startWft(engine, run, wft.seq, { namespace: p.namespace, identity: req.identity, taskQueue: req.taskQueue }) : undefined;
        return { runId: run.runId, started: true, eagerWorkflowTask: eagerWorkflowTask ?? undefined };
      });
    },

    SignalWithStartWorkflowExecution: (req: SignalWithStartReq) => {
      // As the real server: signal-with-start that must start a new workflow is not a thing.
      if (Number(req.workflowIdConflictPolicy) === enums.WorkflowIdConflictPolicy.WORKFLOW_ID_CONFLICT_POLICY_FAIL) {
        throw invalidArgument('Invalid WorkflowIDConflictPolicy: WORKFLOW_ID_CONFLICT_POLICY_FAIL is not supported for this operation.');
      }
      const p = startParams(engine, req);
      const signalName = required(req.signalName, 'SignalName');
      checkBlob(engine, req.signalInput);
      return engine.tx(() => {
        const existing = resolveIdConflict(engine, p.namespace, p.workflowId, p.requestId, {
          reuse: req.workflowIdReusePolicy ?? 0,
          conflict: req.workflowIdConflictPolicy || enums.WorkflowIdConflictPolicy.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
        });
        if (existing?.started) return { runId: existing.run.runId, started: true };
        if (existing) {
          // As the real server: signal-with-start wakes a run waiting out its start delay (a plain signal does not).
          const delayed = waitsOnStartDelay(engine, existing.run);
          signalRun(engine, existing.run, signalName, req.signalInput, req.header, req.identity ?? '');
          if (delayed) endFirstTaskBackoff(engine, existing.run);
          return { runId: existing.run.runId, started: false };
        }
        const run = createRun(engine, { ...p, signal: { name: signalName, input: req.signalInput, header: req.header, identity: req.identity ?? '' } });
        return { runId: run.runId, started: true };
      });
    },

    SignalWorkflowExecution: (req: SignalReq) => {
      const ns = engine.namespaces.get(req.namespace).name;
      const name = required(req.signalName, 'SignalName');
      checkBlob(engine, req.input);
      const run = engine.findRun(ns, req.workflowExecution);
      if (!run.open) throw alreadyCompleted();
      engine.tx(() => signalRun(engine, run, name, req.input, req.header, req.identity ?? ''));
      return {};
    },

    RequestCancelWorkflowExecution: (req: CancelReq) => {
      const ns = engine.namespaces.get(req.namespace).name;
      const run = engine.findRun(ns, req.workflowExecution);
      if (!run.open) throw alreadyCompleted();
      engine.tx(() => requestCancelRun(engine, run, req.reason ?? '', req.identity ?? ''));
      return {};
    },

    TerminateWorkflowExecution: (req: TerminateReq) => {
      const ns = engine.namespaces.get(req.namespace).name;
      const run = engine.findRun(ns, req.workflowExecution);
      if (!run.open) throw alreadyCompleted();
      engine.tx(() => terminateRun(engine, run, req.reason ?? '', req.details, req.identity ?? ''));
      return {};
    },

    DeleteWorkflowExecution: (req: DeleteWorkflowExecutionReq) => {
      const ns = engine.namespaces.get(req.namespace).name;
      const run = engine.findRun(ns, req.workflowExecution);
      if (run.open) engine.tx(() => terminateRun(engine, run, 'Delete workflow execution', undefined, 'history-service'));
      engine.deleteRun(run);
      return {};
    },

    ResetWorkflowExecution: (req: ResetWorkflowExecutionReq) => {
      const ns = engine.namespaces.get(req.namespace).name;
      required(req.workflowExecution?.workflowId, 'WorkflowId');
      // Post-reset operations set versioning overrides, and worker versioning is not implemented.
      if (req.postResetOperations?.length) throw new EngineError(status.UNIMPLEMENTED, 'PostResetOperations are not implemented by the Durafax engine');
      const base = engine.findRun(ns, req.workflowExecution);
      const run = engine.tx(() =>
        resetRun(engine, base, {
          reason: req.reason ?? '',
          identity: req.identity ?? '',
          requestId: req.requestId ?? '',
          workflowTaskFinishEventId: Number(req.workflowTaskFinishEventId ?? 0),
          reapplyType: Number(req.resetReapplyType ?? 0),
          excludeTypes: (req.resetReapplyExcludeTypes ?? []).map(Number),
        }),
      );
      return { runId: run.runId };
    },

    DescribeWorkflowExecution: (req: DescribeReq) => {
      const ns = engine.namespaces.get(req.namespace).name;
      return describeRun(engine, engine.findRun(ns, req.execution));
    },
  };
}
