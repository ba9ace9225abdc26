import { protoRoot, type Failure, type Payload, type Payloads } from './proto';

/**
 * The real server's dynamic config, as far as this engine honours it: the limits on payloads
 * and histories, when a workflow is told to continue as new, eager dispatch and batch jobs. Defaults are
 * the dev server's (`temporal server start-dev`); `--dynamic-config-value KEY=VALUE` (the same
 * flag and keys as the dev server's) changes them, so tests can reach a limit quickly.
 */
export interface DynamicConfig {
  /** One payload (an input, a result, a failure, a signal, a search-attribute upsert). */
  blobSizeWarn: number;
  blobSizeError: number;
  memoSizeWarn: number;
  memoSizeError: number;
  /** A whole history, in encoded bytes and in events: past the error limits the workflow is terminated. */
  historySizeWarn: number;
  historySizeError: number;
  historyCountWarn: number;
  historyCountError: number;
  /** Past either, each workflow task tells the workflow to continue as new (`continueAsNewSuggested`). */
  historySizeSuggestContinueAsNew: number;
  historyCountSuggestContinueAsNew: number;
  /** Activities a completed workflow task schedules on its own queue go straight back to its worker. */
  activityEagerExecution: boolean;
  /** A start that asks for it gets its first workflow task in the response. */
  eagerWorkflowStart: boolean;
  /** Batch jobs that may run at once in a namespace, executions one job may name, and operations a second. */
  maxConcurrentBatchOperations: number;
  maxBatchExecutions: number;
  batcherRps: number;
  /** How long a Nexus request (start or cancel) waits for the handler's answer before it counts as a failed attempt. */
  nexusRequestTimeoutMs: number;
  /** Idle runs leave memory (their state and history go to a page file, or a compact buffer in memory). */
  pageIdleRuns: boolean;
  /** How long a run stays in memory after it was last changed or loaded (0: paged out as soon as it is idle). */
  pageIdleMs: number;
}

export const DEFAULT_CONFIG: DynamicConfig = {
  blobSizeWarn: 512 * 1024,
  blobSizeError: 2 * 1024 * 1024,
  memoSizeWarn: 2 * 1024,
  memoSizeError: 2 * 1024 * 1024,
  historySizeWarn: 10 * 1024 * 1024,
  historySizeError: 50 * 1024 * 1024,
  historyCountWarn: 10 * 1024,
  historyCountError: 50 * 1024,
  historySizeSuggestContinueAsNew: 4 * 1024 * 1024,
  historyCountSuggestContinueAsNew: 4 * 1024,
  activityEagerExecution: true,
  eagerWorkflowStart: true,
  maxConcurrentBatchOperations: 1,
  maxBatchExecutions: 1000,
  batcherRps: 50,
  nexusRequestTimeoutMs: 10_000,
  pageIdleRuns: true,
  // A fax's run is busy for seconds at a time (conversion, payment, the carrier's reports), then
  // waits days on its retention timer: 15 s in memory after its last change, not a minute, held
  // the engine's peak under 280 faxes a minute at 292 MB instead of 454 (bench/README.md).
  pageIdleMs: 15_000,
};

const KEYS: Record<string, keyof DynamicConfig> = {
  'limit.blobSize.warn': 'blobSizeWarn',
  'limit.blobSize.error': 'blobSizeError',
  'limit.memoSize.warn': 'memoSizeWarn',
  'limit.memoSize.error': 'memoSizeError',
  'limit.historySize.warn': 'historySizeWarn',
  'limit.historySize.error': 'historySizeError',
  'limit.historyCount.warn': 'historyCountWarn',
  'limit.historyCount.error': 'historyCountError',
  'limit.historySize.suggestContinueAsNew': 'historySizeSuggestContinueAsNew',
  'limit.historyCount.suggestContinueAsNew': 'historyCountSuggestContinueAsNew',
  'system.enableActivityEagerExecution': 'activityEagerExecution',
  'system.enableEagerWorkflowStart': 'eagerWorkflowStart',
  'frontend.MaxConcurrentBatchOperationPerNamespace': 'maxConcurrentBatchOperations',
  'frontend.MaxExecutionCountBatchOperationPerNamespace': 'maxBatchExecutions',
  'worker.batcherRPS': 'batcherRps',
  'component.nexusoperations.request.timeout': 'nexusRequestTimeoutMs',
  'history.cacheTTL': 'pageIdleMs',
  'engine.pageIdleRuns': 'pageIdleRuns',
};

/** Keys whose values are durations, written as the dev server reads them (`10s`, `1m30s`, `500ms`). */
const DURATION_KEYS = new Set<keyof DynamicConfig>(['nexusRequestTimeoutMs', 'pageIdleMs']);
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

function durationValueMs(key: string, text: string): number {
  const parts = [...text.trim().matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)];
  if (!parts.length || parts.map((p) => p[0]).join('') !== text.trim()) throw new Error(`dynamic config ${key} wants a duration (10s, 1m30s, 500ms), not ${text}`);
  return parts.reduce((sum, p) => sum + Number(p[1]) * UNIT_MS[p[2]], 0);
}

/**
 * The config with `values` (dynamic config keys to values, as given on the command line)
 * applied. Keys this engine does not know are ignored, as the dev server accepts any key; a
 * known key with a value of the wrong kind is an error.
 */
export function configFrom(values: Record<string, string> = {}): DynamicConfig {
  const config: DynamicConfig = { ...DEFAULT_CONFIG };
  for (const [key, text] of Object.entries(values)) {
    const field = KEYS[key];
    if (!field) continue;
    if (DURATION_KEYS.has(field)) {
      Object.assign(config, { [field]: durationValueMs(key, text) });
      continue;
    }
    const value: unknown = JSON.parse(text.trim().toLowerCase() === 'true' || text.trim().toLowerCase() === 'false' ? text.trim().toLowerCase() : text);
    if (typeof value !== typeof DEFAULT_CONFIG[field]) throw new Error(`dynamic config ${key} wants a ${typeof DEFAULT_CONFIG[field]}, not ${text}`);
    Object.assign(config, { [field]: value });
  }
  return config;
}

const PayloadsType = protoRoot.lookupType('temporal.api.common.v1.Payloads');
const FailureType = protoRoot.lookupType('temporal.api.failure.v1.Failure');

/** Encoded sizes, measured as the real server measures each kind of field. */
export const sizeOf = {
  payloads: (payloads: Payloads | null | undefined): number => (payloads ? PayloadsType.encode(payloads).len : 0),
  failure: (failure: Failure | null | undefined): number => (failure ? FailureType.encode(failure).len : 0),
  /** Search attributes and memo fields: names and data bytes. */
  fields: (fields: Record<string, Payload> | null | undefined): number =>
    Object.entries(fields ?? {}).reduce((sum, [key, payload]) => sum + key.length + (payload.data?.length ?? 0), 0),
};
