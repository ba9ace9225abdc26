import {
  ApplicationFailure,
  CancellationScope,
  ChildWorkflowFailure,
  condition,
  continueAsNew,
  executeChild,
  getExternalWorkflowHandle,
  isCancellation,
  ParentClosePolicy,
  sleep,
  startChild,
  workflowInfo,
} from '@temporalio/workflow';
import { failsOnce, noteSignal } from './signals';

export async function childGreeting(name: string): Promise<string> {
  return `child says hi to ${name}`;
}

export async function childFails(): Promise<string> {
  throw ApplicationFailure.create({ type: 'ChildBroke', message: 'child broke', nonRetryable: true });
}

export async function childWaitsForever(): Promise<void> {
  await condition(() => false);
}

export async function parentOfGreeting(name: string): Promise<string> {
  return await executeChild(childGreeting, { args: [name], workflowId: `${workflowInfo().workflowId}-child` });
}

export async function parentOfFailure(): Promise<string> {
  try {
    await executeChild(childFails, { workflowId: `${workflowInfo().workflowId}-child` });
    return 'unexpected';
  } catch (err) {
    if (err instanceof ChildWorkflowFailure && err.cause instanceof ApplicationFailure) return `child failed: ${err.cause.type}`;
    throw err;
  }
}

/** Starts a child that never finishes, then completes: the child is terminated by the default close policy. */
export async function parentLeavesChild(): Promise<string> {
  const child = await startChild(childWaitsForever, {
    workflowId: `${workflowInfo().workflowId}-child`,
    parentClosePolicy: ParentClosePolicy.TERMINATE,
  });
  await sleep('1 minute');
  return child.workflowId;
}

/** Continues as new `n` times; returns how many runs there were and the first run's id. */
export async function countdown(n: number, runs = 1): Promise<{ runs: number; firstRunId: string }> {
  if (n > 0) await continueAsNew<typeof countdown>(n - 1, runs + 1);
  return { runs, firstRunId: workflowInfo().firstExecutionRunId };
}

/** Cancels its own child: the request reaches the child, which ends cancelled. */
export async function parentCancelsChild(): Promise<string> {
  try {
    await CancellationScope.cancellable(async () => {
      const scope = CancellationScope.current();
      const child = executeChild(childWaitsForever, { workflowId: `${workflowInfo().workflowId}-child` });
      await sleep('1 second');
      scope.cancel();
      await child;
    });
    return 'child finished';
  } catch (err) {
    return isCancellation(err) ? 'child cancelled' : `unexpected: ${String(err)}`;
  }
}

/** Signals another running workflow; signalling one that does not exist fails. */
export async function signalsAnother(targetId: string): Promise<string> {
  await getExternalWorkflowHandle(targetId).signal(noteSignal, 'from a workflow');
  try {
    await getExternalWorkflowHandle(`${targetId}-missing`).signal(noteSignal, 'lost');
    return 'unexpected';
  } catch {
    return 'signalled; the missing one failed';
  }
}

/** A child that fails once and is retried by its retry policy: the parent sees only the final run. */
export async function parentOfRetriedChild(): Promise<number> {
  return await executeChild(failsOnce, { workflowId: `${workflowInfo().workflowId}-child`, retry: { initialInterval: '1s', maximumAttempts: 3 } });
}
