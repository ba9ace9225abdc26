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
  const state = run.state;
  if (state.firstWftAt > 0 && !state.wft && state.lastCompletedStartedId === 0) {
    engine.clock.set(backoffKey(run), state.firstWftAt, () =>
      engine.tx(() => {
        run.state.firstWftAt = 0;
        engine.touch(run);
        scheduleWft(engine, run);
      }),
    );
  }
  for (const id in state.timers) armUserTimer(engine, run, id);
}

/** True while a run waits out its start delay (not a retry or cron backoff) before its first task. */
export function waitsOnStartDelay(engine: Engine, run: Execution): boolean {
  const started = run.events[0]?.workflowExecutionStartedEventAttributes;
  return run.open && run.state.firstWftAt > engine.now() && run.state.lastCompletedStartedId === 0 && !started?.continuedExecutionRunId;
}

/** Ends a run's wait for its first workflow task (start delay or backoff): the task is scheduled now. */
export function endFirstTaskBackoff(engine: Engine, run: Execution): void {
  const state = run.state;
  if (!run.open || state.firstWftAt <= engine.now() || state.lastCompletedStartedId > 0) return;
  state.firstWftAt = 0;
  engine.clock.clear(backoffKey(run));
  engine.touch(run);
  scheduleWft(engine, run);
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
  const state = run.state;
  let startedEventId = state.timers[timerId]?.startedEventId;
  if (startedEventId === undefined) {
    // It fired while the task ran: the cancel wins and the buffered TimerFired is dropped.
    const fired = state.buffered.findIndex((buffered) => buffered.event.timerFiredEventAttributes?.timerId === timerId);
    startedEventId = Number(state.buffered[fired]?.event.timerFiredEventAttributes?.startedEventId ?? 0);
    if (fired >= 0) state.buffered.splice(fired, 1);
  }
  delete state.timers[timerId];
  clearUserTimer(engine, run, timerId);
  addEvent(engine, run, EventType.EVENT_TYPE_TIMER_CANCELED, 'timerCanceledEventAttributes', {
    timerId,
    startedEventId,
    workflowTaskCompletedEventId: wftCompletedId,
    identity,
  });
}

function armUserTimer(engine: Engine, run: Execution, timerId: string): void {
  const timer = run.state.timers[timerId];
  if (!timer) return;
  const startedEventId = timer.startedEventId;
  engine.clock.set(userTimerKey(run, timerId), timer.due, () =>
    engine.tx(() => {
      const current = run.state.timers[timerId];
      if (!run.open || !current || current.startedEventId !== startedEventId) return;
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
