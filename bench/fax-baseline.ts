/**
 * A worker for the baseline workflows in this process, on the same engine as the fax stack
 * but its own task queue, and a client that times them from start to completion.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import type { BaselineActivities } from './fax-baseline-workflows';

const TASK_QUEUE = 'bench-baseline';

export interface BaselineEngine {
  /** Milliseconds from start to completion of a workflow that does nothing. */
  emptyWorkflow(): Promise<number>;
  /** The same for a workflow that runs one activity that does nothing. */
  oneActivityWorkflow(): Promise<number>;
  stop(): Promise<void>;
}

export async function startBaselineEngine(address: string): Promise<BaselineEngine> {
  Runtime.install({ logger: new DefaultLogger('WARN'), shutdownSignals: [] });
  const activities: BaselineActivities = { nothing: async () => undefined };
  const nativeConnection = await NativeConnection.connect({ address });
  const worker = await Worker.create({
    connection: nativeConnection,
    taskQueue: TASK_QUEUE,
    workflowsPath: require.resolve('./fax-baseline-workflows'),
    activities,
  });
  const running = worker.run();
  const connection = await Connection.connect({ address });
  const client = new Client({ connection });

  const timed = async (type: 'emptyWorkflow' | 'oneActivityWorkflow'): Promise<number> => {
    const started = performance.now();
    await client.workflow.execute(type, { taskQueue: TASK_QUEUE, workflowId: `bench-${randomUUID()}` });
    return performance.now() - started;
  };
  return {
    emptyWorkflow: () => timed('emptyWorkflow'),
    oneActivityWorkflow: () => timed('oneActivityWorkflow'),
    stop: async () => {
      worker.shutdown();
      await running;
      await connection.close();
      await nativeConnection.close();
    },
  };
}
