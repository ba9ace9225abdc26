import { protoRoot, type EventType, type HistoryEvent } from '../proto';
import { msTimestamp } from '../time';
import type { Engine } from '../engine';
import type { Execution } from './state';

/** Keys of HistoryEvent that hold an event's attributes, e.g. `timerFiredEventAttributes`. */
export type AttrKey = Extract<keyof HistoryEvent, `${string}EventAttributes`>;
export type Attrs<K extends AttrKey> = NonNullable<HistoryEvent[K]>;

const HistoryEventType = protoRoot.lookupType('temporal.api.history.v1.HistoryEvent');

/** An event's encoded size: the real server sums these into the history size it reports and limits. */
export function eventSize(event: HistoryEvent): number {
  return HistoryEventType.encode(event).len;
}

export function makeEvent<K extends AttrKey>(engine: Engine, type: EventType, key: K, attrs: Attrs<K>): HistoryEvent {
  return { eventId: 0, eventTime: msTimestamp(engine.now()), eventType: type, taskId: 0, [key]: attrs };
}

/** Appends an event to the run's history now, numbering it. */
export function append(engine: Engine, run: Execution, event: HistoryEvent): HistoryEvent {
  const id = run.state.nextEventId++;
  event.eventId = id;
  event.taskId = engine.nextTaskId();
  run.events.push(event);
  run.state.historySizeBytes += eventSize(event);
  engine.touch(run);
  return event;
}

export function addEvent<K extends AttrKey>(engine: Engine, run: Execution, type: EventType, key: K, attrs: Attrs<K>): HistoryEvent {
  return append(engine, run, makeEvent(engine, type, key, attrs));
}

/** True while a workflow task is running: new events must wait until it finishes. */
export function wftRunning(run: Execution): boolean {
  return run.state.wft?.phase === 'started';
}

/**
 * Adds an event that happened outside the workflow's own commands (signal, timer fired,
 * activity result, ...): buffered while a workflow task runs, written at once otherwise.
 * `startedRef` names the attribute field whose startedEventId must point at the event
 * written just before this one (ActivityTaskStarted before its result).
 */
export function addExternal<K extends AttrKey>(engine: Engine, run: Execution, type: EventType, key: K, attrs: Attrs<K>, startedRef?: boolean): HistoryEvent {
  const event = makeEvent(engine, type, key, attrs);
  if (wftRunning(run)) {
    run.state.buffered.push(startedRef ? { event, startedRef: key } : { event });
    engine.touch(run);
    return event;
  }
  return append(engine, run, event);
}

/** Writes the buffered events in arrival order; returns how many there were. */
export function flushBuffered(engine: Engine, run: Execution): number {
  const buffered = run.state.buffered;
  if (!buffered.length) return 0;
  run.state.buffered = [];
  for (const waiting of buffered) {
    if (waiting.startedRef) {
      const attrs = (waiting.event as Record<string, unknown>)[waiting.startedRef] as { startedEventId?: number | null };
      attrs.startedEventId = run.state.nextEventId - 1;
    }
    append(engine, run, waiting.event);
  }
  return buffered.length;
}
