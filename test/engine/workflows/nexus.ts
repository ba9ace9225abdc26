import { TimeoutFailure, type Duration } from '@temporalio/common';
import { ApplicationFailure, CancellationScope, condition, continueAsNew, createNexusServiceClient, defineSignal, setHandler, sleep, workflowInfo } from '@temporalio/workflow';
import { faxService } from '../nexus-service';

type FaxOperation = 'echo' | 'viaWorkflow' | 'rejects' | 'flaky' | 'declines' | 'slow' | 'busy' | 'viaChain' | 'outOfPaper';

/** The operation's timeouts ('1 minute', '5s'). */
export interface NexusTimeouts {
  scheduleToCloseTimeout?: Duration;
  scheduleToStartTimeout?: Duration;
  startToCloseTimeout?: Duration;
}

/** Calls one of the fax service's operations through an endpoint; returns its result, or the failure it got (and a timeout's type). */
export async function callsNexus(
  endpoint: string,
  operation: FaxOperation,
  input: string,
  timeouts: NexusTimeouts = { scheduleToCloseTimeout: '1 minute' },
): Promise<{ result?: string; failure?: string; cause?: string; timeoutType?: string }> {
  const client = createNexusServiceClient({ service: faxService, endpoint });
  try {
    return { result: await client.executeOperation(operation, input, timeouts) };
  } catch (err) {
    const e = err as Error & { cause?: Error };
    return {
      failure: `${e.name}: ${e.message}`,
      cause: e.cause ? `${e.cause.name}: ${e.cause.message}` : undefined,
      timeoutType: e.cause instanceof TimeoutFailure ? String(e.cause.timeoutType) : undefined,
    };
  }
}

export const releaseSignal = defineSignal('release');

/** The handler side of `viaWorkflow`: waits to be released, then answers. */
export async function nexusBackedWorkflow(input: string): Promise<string> {
  let released = false;
  setHandler(releaseSignal, () => void (released = true));
  await condition(() => released);
  return `handled ${input}`;
}

/** Starts the workflow-backed operation, then cancels it; returns how its result ended. */
export async function cancelsNexus(endpoint: string, input: string): Promise<string> {
  const client = createNexusServiceClient({ service: faxService, endpoint });
  const scope = new CancellationScope();
  const handle = await scope.run(() => client.startOperation('viaWorkflow', input, { scheduleToCloseTimeout: '1 minute' }));
  scope.cancel();
  try {
    return `completed: ${await handle.result()}`;
  } catch (err) {
    const e = err as Error & { cause?: Error };
    return `${e.name} caused by ${e.cause?.name ?? 'nothing'}`;
  }
}

/** Starts the slow operation and cancels it while its start request is still out; returns how the start ended. */
export async function cancelsBeforeStart(endpoint: string, input: string): Promise<string> {
  const client = createNexusServiceClient({ service: faxService, endpoint });
  const scope = new CancellationScope();
  const started = scope.run(() => client.startOperation('slow', input, { scheduleToCloseTimeout: '1 minute' }));
  await sleep(300);
  scope.cancel();
  try {
    const handle = await started;
    return `started, then: ${await handle.result()}`;
  } catch (err) {
    const e = err as Error & { cause?: Error };
    return `${e.name} caused by ${e.cause?.name ?? 'nothing'}: ${e.cause?.message ?? ''}`;
  }
}

/** The handler side of `viaChain`: the first attempt fails (a workflow retry), the retry continues as new, the new run answers. */
export async function nexusChainedWorkflow(input: string, continued = false): Promise<string> {
  if (workflowInfo().attempt === 1 && !continued) throw ApplicationFailure.retryable('first attempt fails');
  if (!continued) return continueAsNew<typeof nexusChainedWorkflow>(input, true);
  return `chain done ${input} (run ${workflowInfo().runId === workflowInfo().firstExecutionRunId ? 'first' : 'later'})`;
}
