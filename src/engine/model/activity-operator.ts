import type { Engine } from '../engine';
import { failedPrecondition } from '../grpc/errors';
import { rearmActivity } from './activity';
import { ACTIVITY, type ActivityState, type Execution } from './state';

/**
 * What an operator does to a pending activity (PauseActivity, UnpauseActivity, ResetActivity,
 * and their standalone-activity forms), as the real server does it. A running attempt is never
 * cut off: its worker learns of a pause or reset from its next heartbeat (the SDK cancels the
 * activity with `paused` or `reset` in its cancellation details) and reports it failed.
 */

export interface PauseOptions {
  identity: string;
  reason: string;
  requestId?: string;
}

/** Holds the activity: nothing is dispatched until it is unpaused; a failed attempt meanwhile counts but waits. */
export function pauseActivity(engine: Engine, run: Execution, act: ActivityState, options: PauseOptions): void {
  if (act.paused) {
    if (options.requestId && act.paused.requestId === options.requestId) return;
    throw failedPrecondition('activity is already paused');
  }
  act.paused = { time: engine.now(), identity: options.identity, reason: options.reason, requestId: options.requestId };
  const held = ACTIVITY.find(act.phase, 'pause');
  if (held) act.phase = held;
  engine.touch(run);
  rearmActivity(engine, run, act);
}

export interface UnpauseOptions {
  resetAttempts: boolean;
  resetHeartbeat: boolean;
  jitterMs: number;
}

/** Lets a paused activity go on: its next attempt is dispatched now (or within the jitter). */
export function unpauseActivity(engine: Engine, run: Execution, act: ActivityState, options: UnpauseOptions): void {
  if (!act.paused) throw failedPrecondition('activity is not paused');
  act.paused = undefined;
  if (options.resetAttempts) act.attempt = 1;
  if (options.resetHeartbeat) act.heartbeatDetails = undefined;
  if (act.phase === 'paused') dispatchAgain(engine, act, options.jitterMs);
  engine.touch(run);
  rearmActivity(engine, run, act);
}

export interface ResetOptions {
  resetHeartbeat: boolean;
  keepPaused: boolean;
  jitterMs: number;
}

/**
 * Starts the activity over at attempt 1. One waiting (scheduled, in backoff, or paused unless
 * `keepPaused`) is dispatched again now; a running attempt is told by its heartbeat, and its end
 * starts attempt 1 at once.
 */
export function resetActivity(engine: Engine, run: Execution, act: ActivityState, options: ResetOptions): void {
  engine.touch(run);
  if (act.phase === 'started') {
    act.resetPending = true;
    act.resetHeartbeat = options.resetHeartbeat;
    if (!options.keepPaused) act.paused = undefined;
    return;
  }
  act.attempt = 1;
  if (options.resetHeartbeat) act.heartbeatDetails = undefined;
  if (act.paused && options.keepPaused) {
    rearmActivity(engine, run, act);
    return;
  }
  act.paused = undefined;
  dispatchAgain(engine, act, options.jitterMs);
  rearmActivity(engine, run, act);
}

/** The waiting activity's attempt goes to its queue now, or after a random part of `jitterMs`. */
function dispatchAgain(engine: Engine, act: ActivityState, jitterMs: number): void {
  const now = engine.now();
  if (jitterMs > 0) {
    act.retryAt = now + Math.floor(Math.random() * jitterMs);
    act.phase = act.phase === 'paused' ? ACTIVITY.next('paused', 'unpauseLater') : act.phase === 'backoff' ? 'backoff' : act.phase;
    return;
  }
  if (act.phase === 'paused') act.phase = ACTIVITY.next('paused', 'unpause');
  if (act.phase === 'backoff') act.phase = ACTIVITY.next('backoff', 'retryDue');
  act.retryAt = undefined;
  act.attemptScheduledTime = now;
}
