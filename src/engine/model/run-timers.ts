import type { Engine } from '../engine';
import { enums } from '../proto';
import { addExternal } from './events';
import type { Execution } from './state';
import { scheduleWft, wftTimerKey } from './schedule-workflow-task';

const E = enums.EventType;

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

export function armUserTimer(engine: Engine, run: Execution, timerId: string): void {
  const t = run.state.timers[timerId];
  if (!t) return;
  const startedEventId = t.startedEventId;
  engine.clock.set(userTimerKey(run, timerId), t.due, () =>
    engine.tx(() => {
      const cur = run.state.timers[timerId];
      if (!run.open || !cur || cur.startedEventId !== startedEventId) return;
      delete run.state.timers[timerId];
      addExternal(engine, run, E.EVENT_TYPE_TIMER_FIRED, 'timerFiredEventAttributes', { timerId, startedEventId });
      scheduleWft(engine, run);
    }),
  );
}

export function clearUserTimer(engine: Engine, run: Execution, timerId: string): void {
  engine.clock.clear(userTimerKey(run, timerId));
}

/** Stops every timer of a closing run except its activities' (cleared with them). */
export function clearRunTimers(engine: Engine, run: Execution): void {
  engine.clock.clear(wftTimerKey(run));
  engine.clock.clear(runTimeoutKey(run));
  engine.clock.clear(backoffKey(run));
  for (const id in run.state.timers) clearUserTimer(engine, run, id);
}
