import type { Engine } from '../engine';
import { enums, type Command, type Payload } from '../proto';
import { addEvent } from './events';
import { searchAttributePayload } from '../visibility/payload';
import { payloadValue } from './payloads';
import type { Execution } from './state';

/** The commands that only record something about the run: markers, search attributes, memo. */

const EventType = enums.EventType;

type MarkerAttributes = NonNullable<Command['recordMarkerCommandAttributes']>;

/** The RecordMarker command (side effects, versioning patches, local activity results). */
export function recordMarker(engine: Engine, run: Execution, attributes: MarkerAttributes, wftCompletedId: number): void {
  addEvent(engine, run, EventType.EVENT_TYPE_MARKER_RECORDED, 'markerRecordedEventAttributes', {
    markerName: attributes.markerName ?? '',
    details: attributes.details ?? undefined,
    header: attributes.header ?? undefined,
    failure: attributes.failure ?? undefined,
    workflowTaskCompletedEventId: wftCompletedId,
  });
}

/** The UpsertWorkflowSearchAttributes command. */
export function upsertSearchAttributes(engine: Engine, run: Execution, fields: Record<string, Payload>, wftCompletedId: number): void {
  const typed = engine.typedSearchAttributes(run.state.namespace, fields);
  addEvent(engine, run, EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES, 'upsertWorkflowSearchAttributesEventAttributes', {
    workflowTaskCompletedEventId: wftCompletedId,
    searchAttributes: { indexedFields: typed },
  });
  mergeFields(run.state.searchAttributes, typed);
}

/**
 * The BuildIds search attribute, kept as the real server keeps it from each completed workflow
 * task's worker version: `unversioned` while an unversioned worker runs it, then every build id
 * that completed a task (`unversioned:<id>` or `versioned:<id>`).
 */
export function recordBuildId(run: Execution, stamp: { buildId?: string | null; useVersioning?: boolean | null } | null | undefined): void {
  const value = stamp?.buildId ? `${stamp.useVersioning ? 'versioned' : 'unversioned'}:${stamp.buildId}` : 'unversioned';
  const before = payloadValue(run.state.searchAttributes.BuildIds);
  const existing = Array.isArray(before) ? before.filter((v): v is string => typeof v === 'string') : [];
  const next = [...(stamp?.useVersioning ? [] : ['unversioned']), ...existing.filter((v) => v !== 'unversioned')];
  if (!next.includes(value)) next.push(value);
  if (next.length === existing.length && next.every((v, i) => v === existing[i])) return;
  run.state.searchAttributes.BuildIds = searchAttributePayload(next, 'KeywordList');
}

/**
 * Worker versioning's search attributes, from the run's effective behavior and version (an
 * override's, else what its last worker reported), as the real server keeps them:
 * TemporalWorkflowVersioningBehavior (`Pinned`, `AutoUpgrade`), TemporalWorkerDeploymentVersion
 * (`name:buildId`) and TemporalWorkerDeployment.
 */
export function recordVersioningAttributes(run: Execution): void {
  const s = run.state;
  const override = s.versioningOverride;
  const behavior = override?.behavior ?? s.versioning?.behavior ?? 0;
  const version = override?.behavior === enums.VersioningBehavior.VERSIONING_BEHAVIOR_PINNED ? override.version : s.versioning?.version;
  const set = (name: string, value: string | undefined): void => {
    if (value) s.searchAttributes[name] = searchAttributePayload(value, 'Keyword');
    else delete s.searchAttributes[name];
  };
  set(
    'TemporalWorkflowVersioningBehavior',
    behavior === enums.VersioningBehavior.VERSIONING_BEHAVIOR_PINNED
      ? 'Pinned'
      : behavior === enums.VersioningBehavior.VERSIONING_BEHAVIOR_AUTO_UPGRADE
        ? 'AutoUpgrade'
        : undefined,
  );
  set('TemporalWorkerDeploymentVersion', version ? `${version.deploymentName}:${version.buildId}` : undefined);
  set('TemporalWorkerDeployment', version?.deploymentName);
}

/** The ModifyWorkflowProperties command, whose one property is the memo. */
export function upsertMemo(engine: Engine, run: Execution, fields: Record<string, Payload>, wftCompletedId: number): void {
  addEvent(engine, run, EventType.EVENT_TYPE_WORKFLOW_PROPERTIES_MODIFIED, 'workflowPropertiesModifiedEventAttributes', {
    workflowTaskCompletedEventId: wftCompletedId,
    upsertedMemo: { fields },
  });
  mergeFields(run.state.memo, fields);
}

/** Upsert semantics of search attributes and memo: a null or empty-list value removes the key. */
export function mergeFields(target: Record<string, Payload>, upserted: Record<string, Payload>): void {
  for (const [key, payload] of Object.entries(upserted)) {
    const value = payloadValue(payload);
    if (value === null || (Array.isArray(value) && value.length === 0)) delete target[key];
    else target[key] = payload;
  }
}
