import { temporal } from '@temporalio/proto';
import { NativeConnection } from '@temporalio/worker';
import type { TemporalConfig } from '../config/config';
import { tlsFrom } from '../temporal/connection';

/**
 * The worker's native connection (Rust core). Apart from the client's connection, so the web
 * and the Temporal UI never load the worker's library (its bundler and workflow runtime).
 */
export function connectWorker(config: TemporalConfig): Promise<NativeConnection> {
  return NativeConnection.connect({ address: config.address, tls: tlsFrom(config), apiKey: config.apiKey });
}

/** How long a backlog question may take: it is asked at a metrics scrape, which must not hang. */
const BACKLOG_DEADLINE_MS = 2_000;

/** Tasks of one type waiting in a task queue for a worker to take them, as Temporal counts them. */
export async function taskQueueBacklog(connection: NativeConnection, namespace: string, taskQueue: string, type: 'workflow' | 'activity'): Promise<number> {
  const { TaskQueueKind, TaskQueueType } = temporal.api.enums.v1;
  const described = await connection.withDeadline(Date.now() + BACKLOG_DEADLINE_MS, () =>
    connection.workflowService.describeTaskQueue({
      namespace,
      taskQueue: { name: taskQueue, kind: TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
      taskQueueType: type === 'activity' ? TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY : TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
      includeTaskQueueStatus: true,
    }),
  );
  const hint = described.taskQueueStatus?.backlogCountHint;
  return typeof hint === 'number' ? hint : (hint?.toNumber() ?? 0);
}
