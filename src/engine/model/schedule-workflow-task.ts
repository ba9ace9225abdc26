import type { Engine } from '../engine';
import { enums } from '../proto';
import { msDuration } from '../time';
import { addEvent } from './events';
import { WORKFLOW_TASK, type EventOf, type Execution, type WftState } from './state';

/**
 * Scheduling a workflow task and putting it on its queue. Everything that wakes a workflow
 * (signals, timers, activity results, children, updates) calls `scheduleWft`, so this module
 * imports nothing else from model/ but events: it is the leaf that keeps model/ free of cycles.
 */

const EventType = enums.EventType;
const NORMAL_QUEUE = enums.TaskQueueKind.TASK_QUEUE_KIND_NORMAL;
const STICKY_QUEUE = enums.TaskQueueKind.TASK_QUEUE_KIND_STICKY;

/** The clock key of a run's workflow-task timer (sticky schedule-to-start, or start-to-close). */
export const wftTimerKey = (run: Execution): string => `wft/${run.runId}`;

/**
 * Schedules a workflow task unless one is pending; while one runs, asks for another afterwards.
 * `dispatch: false` keeps it off the queue, for a caller that starts it itself (eager start).
 */
export function scheduleWft(engine: Engine, run: Execution, dispatch = true): void {
  const state = run.state;
  // A standalone activity has no workflow to wake.
  if (!run.open || state.kind === 'activity') return;
  if (state.wft) {
    if (state.wft.phase === 'started') {
      state.needsWft = true;
      engine.touch(run);
    }
    return;
  }
  if (state.firstWftAt > engine.now()) return;
  // Its worker's sticky queue has gone unpolled (the worker died without a word): the task goes
  // to the normal queue now rather than after the sticky timeout, as with the real server.
  if (state.sticky && engine.matching.stickyUnavailable(state.namespace, state.sticky.queue)) state.sticky = null;
  state.needsWft = false;
  const attempt = state.wftAttempt;
  const transient = attempt > 1;
  // A sticky worker of another version than the task is routed to (an auto-upgrade workflow
  // after a routing change) must not get it: the task goes to the normal queue.
  const sticky = !transient && state.sticky && (state.sticky.version ?? '') === engine.deployments.wftTarget(run) ? state.sticky : null;
  const wft: WftState = {
    seq: ++state.wftSeq,
    attempt,
    phase: WORKFLOW_TASK.next('none', 'schedule'),
    transient,
    queue: sticky ? sticky.queue : state.taskQueue,
    sticky: !!sticky,
    // A transient task's events are numbered when it starts; this is where they would go now.
    scheduledEventId: transient ? state.nextEventId : 0,
    startedEventId: 0,
    scheduledTime: engine.now(),
  };
  if (!transient) {
    wft.scheduledEventId = Number(
      addEvent(engine, run, EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED, 'workflowTaskScheduledEventAttributes', {
        taskQueue: sticky ? { name: sticky.queue, kind: STICKY_QUEUE, normalName: state.taskQueue } : { name: state.taskQueue, kind: NORMAL_QUEUE },
        startToCloseTimeout: msDuration(state.taskTimeoutMs),
        attempt,
      }).eventId,
    );
  }
  state.wft = wft;
  engine.touch(run);
  if (dispatch) dispatchWft(engine, run);
}

/** Puts the pending workflow task on its queue (again, after a restart). */
export function dispatchWft(engine: Engine, run: Execution): void {
  const wft = run.state.wft;
  if (!wft || wft.phase !== 'scheduled') return;
  if (wft.sticky && run.state.sticky) {
    // Not picked up from the worker's sticky queue in time: the normal queue gets it, with full history.
    const seq = wft.seq;
    engine.clock.set(wftTimerKey(run), engine.now() + run.state.sticky.timeoutMs, () => engine.tx(() => stickyTimedOut(engine, run, seq)));
  } else {
    engine.clock.clear(wftTimerKey(run));
  }
  engine.matching.push(run.state.namespace, wft.queue, 'workflow', { kind: 'wft', runId: run.runId, seq: wft.seq });
}

/** The run's workflow task ends: `event` is one that leads to `none` in WORKFLOW_TASK. */
export function endTask(engine: Engine, run: Execution, event: EventOf<typeof WORKFLOW_TASK>): void {
  WORKFLOW_TASK.next(run.state.wft?.phase ?? 'none', event);
  run.state.wft = null;
  engine.clock.clear(wftTimerKey(run));
  engine.touch(run);
}

function stickyTimedOut(engine: Engine, run: Execution, seq: number): void {
  const wft = run.state.wft;
  if (!run.open || !wft || wft.seq !== seq || wft.phase !== 'scheduled' || !wft.sticky) return;
  engine.log.debug('sticky workflow task not picked up; moving it to the normal queue', { workflowId: run.state.workflowId, runId: run.runId });
  addEvent(engine, run, EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT, 'workflowTaskTimedOutEventAttributes', {
    scheduledEventId: wft.scheduledEventId,
    startedEventId: 0,
    timeoutType: enums.TimeoutType.TIMEOUT_TYPE_SCHEDULE_TO_START,
  });
  endTask(engine, run, 'timeOut');
  run.state.sticky = null;
  scheduleWft(engine, run);
}
