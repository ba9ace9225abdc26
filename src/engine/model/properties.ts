import type { Engine } from '../engine';
import { enums, type Command, type Payload } from '../proto';
import { addEvent } from './events';
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
  addEvent(engine, run, EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES, 'upsertWorkflowSearchAttributesEventAttributes', {
    workflowTaskCompletedEventId: wftCompletedId,
    searchAttributes: { indexedFields: fields },
  });
  mergeFields(run.state.searchAttributes, fields);
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
function mergeFields(target: Record<string, Payload>, upserted: Record<string, Payload>): void {
  for (const [key, payload] of Object.entries(upserted)) {
    const value = payloadValue(payload);
    if (value === null || (Array.isArray(value) && value.length === 0)) delete target[key];
    else target[key] = payload;
  }
}
