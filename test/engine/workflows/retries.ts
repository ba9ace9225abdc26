import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  condition,
  defineSignal,
  isCancellation,
  proxyActivities,
  proxyLocalActivities,
  ActivityCancellationType,
  setHandler,
  sleep,
  TimeoutFailure,
} from '@temporalio/workflow';
import type { TestActivities } from '../activities';

export interface ActivityOutcome {
  ok: boolean;
  value?: unknown;
  retryState?: string;
  causeType?: string;
  causeName?: string;
  timeoutType?: string;
}

async function outcome(run: () => Promise<unknown>): Promise<ActivityOutcome> {
  try {
    return { ok: true, value: await run() };
  } catch (err) {
    if (!(err instanceof ActivityFailure)) throw err;
    const cause = err.cause;
    return {
      ok: false,
      retryState: err.retryState,
      causeType: cause instanceof ApplicationFailure ? (cause.type ?? undefined) : undefined,
      causeName: cause?.name,
      timeoutType: cause instanceof TimeoutFailure ? cause.timeoutType : undefined,
    };
  }
}

export async function retryWithBackoff(key: string, succeedOn: number): Promise<ActivityOutcome> {
  const { flaky } = proxyActivities<TestActivities>({
    startToCloseTimeout: '10s',
    retry: { initialInterval: '2s', backoffCoefficient: 3, maximumInterval: '10s' },
  });
  return outcome(() => flaky(key, succeedOn));
}

export async function nonRetryable(key: string): Promise<ActivityOutcome> {
  const { declines } = proxyActivities<TestActivities>({
    startToCloseTimeout: '10s',
    retry: { initialInterval: '1s', nonRetryableErrorTypes: ['CardDeclined'] },
  });
  return outcome(() => declines(key, 'CardDeclined'));
}

export async function limitedAttempts(key: string): Promise<ActivityOutcome> {
  const { flaky } = proxyActivities<TestActivities>({ startToCloseTimeout: '10s', retry: { initialInterval: '1s', maximumAttempts: 3 } });
  return outcome(() => flaky(key, 0));
}

export async function scheduleToCloseBound(key: string): Promise<ActivityOutcome> {
  const { flaky } = proxyActivities<TestActivities>({
    startToCloseTimeout: '5s',
    scheduleToCloseTimeout: '10s',
    retry: { initialInterval: '2s', backoffCoefficient: 2 },
  });
  return outcome(() => flaky(key, 0));
}

export async function heartbeatTimeout(key: string): Promise<ActivityOutcome> {
  const { heartbeatThenHang } = proxyActivities<TestActivities>({
    startToCloseTimeout: '1m',
    heartbeatTimeout: '1s',
    retry: { initialInterval: '1s' },
  });
  return outcome(() => heartbeatThenHang(key, 'page-7'));
}

/** A heartbeating activity that a workflow cancellation reaches; the compensation still runs. */
export async function cancellableSend(key: string): Promise<string> {
  const { sendSlowly } = proxyActivities<TestActivities>({
    startToCloseTimeout: '1m',
    heartbeatTimeout: '2s',
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  });
  const { compensate } = proxyActivities<TestActivities>({ startToCloseTimeout: '10s' });
  try {
    return await sendSlowly(key);
  } catch (err) {
    if (isCancellation(err)) await CancellationScope.nonCancellable(() => compensate(key));
    throw err;
  }
}

export async function asyncCompletion(): Promise<string> {
  const { completeLater } = proxyActivities<TestActivities>({ startToCloseTimeout: '1m' });
  return await completeLater();
}

/** An activity on a queue no worker polls: the schedule-to-start timeout ends it, without retries. */
export async function nobodyPolls(): Promise<ActivityOutcome> {
  const { greet } = proxyActivities<TestActivities>({ taskQueue: 'nobody-polls-this', scheduleToStartTimeout: '1 minute', startToCloseTimeout: '1 minute' });
  return outcome(() => greet('anyone?'));
}

/** Attempt 1 outlives its start-to-close timeout; attempt 2 gets its heartbeat details. */
export async function startToCloseRetry(key: string): Promise<ActivityOutcome> {
  const { heartbeatThenHang } = proxyActivities<TestActivities>({ startToCloseTimeout: '1s', retry: { initialInterval: '1s' } });
  return outcome(() => heartbeatThenHang(key, 'page-3'));
}

/** Runs the `stoppable` activity (heartbeating, retried after 1 s) and returns its result. */
export async function runsStoppable(key: string, failFirst: boolean): Promise<number> {
  const { stoppable } = proxyActivities<TestActivities>({ startToCloseTimeout: '1m', heartbeatTimeout: '5s', retry: { initialInterval: '1s' } });
  return await stoppable(key, failFirst);
}

export const goSignal = defineSignal('go');

/**
 * Cancels an activity that has just ended: its first task starts an activity (it waits at the
 * gate `<gate>-activity`); on `go` its next task is held open by a local activity (the gate
 * `<gate>-task`) while the test lets the activity complete, then cancels it. The cancel
 * command reaches the engine while the completion waits in its buffer; the workflow ends in a
 * later task.
 */
export async function cancelActivityEndedMidTask(gate: string): Promise<string> {
  const { waitAtGate } = proxyActivities<TestActivities>({ startToCloseTimeout: '30s', cancellationType: ActivityCancellationType.TRY_CANCEL });
  const local = proxyLocalActivities<TestActivities>({ startToCloseTimeout: '30s' });
  let go = false;
  setHandler(goSignal, () => void (go = true));
  const scope = new CancellationScope();
  const activity = scope.run(() => waitAtGate(`${gate}-activity`));
  activity.catch(() => undefined);
  await condition(() => go);
  await local.waitAtGate(`${gate}-task`);
  scope.cancel();
  let outcome: string;
  try {
    outcome = `completed: ${await activity}`;
  } catch (err) {
    outcome = isCancellation(err) ? 'cancelled' : `unexpected: ${String(err)}`;
  }
  // Not in the cancelling task: a completion while the activity's end waits would be turned down.
  await sleep(10);
  return outcome;
}
