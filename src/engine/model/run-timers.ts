import type { Engine } from '../engine';
import { enums, type Command, type UserMetadata } from '../proto';
import { durationMs } from '../time';
import { addEvent, addExternal } from './events';
import { scheduleWft, wftTimerKey } from './schedule-workflow-task';
import type { Execution } from './state';

const EventType = enums.EventType;

type StartTimerAttributes = NonNullable<Command['startTimerCommandAttributes']>;

/** The clock key of the run (and execution) timeout, armed by start.ts's armRunTimeout. */
export const runTimeoutKey = (run: Execution): string => `run/${run.runId}`;
const backoffKey = (run: Execution): string => `backoff/${run.runId}`;
const userTimerKey = (run: Execution, timerId: string): string => `timer/${run.runId}/${timerId}`;

/** Arms a run's delayed first workflow task and its user timers. */
export function rearmRunTimers(engine: Engine, run: Execution): void {
  const s = run.state;
  if (s.firstWftAt > 0 && !s.wft && s.lastCompletedStartedId === 0) {
    engine.clock.set(backoffKey(run), s.firstWftAt, () =>
      engine.tx(() => {
        run.state.firstWftAt = 0;
        engine.touch(run);
        scheduleWft(engine, run);
      }),
    );
  }
  for (const id in s.timers) armUserTimer(engine, run, id);
}

/** The StartTimer command: TimerStarted, and the timer armed for its due time. */
export function startTimer(engine: Engine, run: Execution, attributes: StartTimerAttributes, wftCompletedId: number, userMetadata: UserMetadata | null | undefined): void {
  const timerId = attributes.timerId ?? '';
  const started = addEvent(engine, run, EventType.EVENT_TYPE_TIMER_STARTED, 'timerStartedEventAttributes', {
    timerId,
    startToFireTimeout: attributes.startToFireTimeout ?? undefined,
    workflowTaskCompletedEventId: wftCompletedId,
  });
  if (userMetadata) started.userMetadata = userMetadata;
  run.state.timers[timerId] = { timerId, startedEventId: Number(started.eventId), due: engine.now() + durationMs(attributes.startToFireTimeout) };
  armUserTimer(engine, run, timerId);
}

/** The CancelTimer command. */
export function cancelTimer(engine: Engine, run: Execution, timerId: string, wftCompletedId: number, identity: string): void {
  const s = run.state;
  let startedEventId = s.timers[timerId]?.startedEventId;
  if (startedEventId === undefined) {
    // It fired while the task ran: the cancel wins and the buffered TimerFired is dropped.
    const i = s.buffered.findIndex((b) => b.event.timerFiredEventAttributes?.timerId === timerId);
    startedEventId = Number(s.buffered[i]?.event.timerFiredEventAttributes?.startedEventId ?? 0);
    if (i >= 0) s.buffered.splice(i, 1);
  }
  delete s.timers[timerId];
  clearUserTimer(engine, run, timerId);
  addEvent(engine, run, EventType.EVENT_TYPE_TIMER_CANCELED, 'timerCanceledEventAttributes', {
    timerId,
    startedEventId,
    workflowTaskCompletedEventId: wftCompletedId,
    identity,
  });
}

function armUserTimer(engine: Engine, run: Execution, timerId: string): void {
  const t = run.state.timers[timerId];
  if (!t) return;
  const startedEventId = t.startedEventId;
  engine.clock.set(userTimerKey(run, timerId), t.due, () =>
    engine.tx(() => {
      const cur = run.state.timers[timerId];
      if (!run.open || !cur || cur.startedEventId !== startedEventId) return;
      delete run.state.timers[timerId];
      addExternal(engine, run, EventType.EVENT_TYPE_TIMER_FIRED, 'timerFiredEventAttributes', { timerId, startedEventId });
      scheduleWft(engine, run);
    }),
  );
}

function clearUserTimer(engine: Engine, run: Execution, timerId: string): void {
  engine.clock.clear(userTimerKey(run, timerId));
}

/** Stops every timer of a closing run except its activities' (cleared with them). */
export function clearRunTimers(engine: Engine, run: Execution): void {
  engine.clock.clear(wftTimerKey(run));
  engine.clock.clear(runTimeoutKey(run));
  engine.clock.clear(backoffKey(run));
  for (const id in run.state.timers) clearUserTimer(engine, run, id);
}
