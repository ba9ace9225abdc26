import { Client, ScheduleAlreadyRunning, ScheduleNotFoundError, type ScheduleDescription, type ScheduleOptions } from '@temporalio/client';
import type { Config, DailyTime } from '../config/config';
import type { Logger } from '../log';
import { connectTemporal } from '../temporal/connection';
import { RECONCILIATION_SCHEDULE_ID, RECONCILIATION_WORKFLOW_ID, RECONCILIATION_WORKFLOW_TYPE } from '../workflows/reconciliation-contract';

/** Runs missed while Temporal was down are made up within this window (in ms), once. */
export const RECONCILIATION_CATCHUP_MS = 12 * 3600_000;

export interface ReconciliationScheduleOptions {
  /** When it runs each day; null switches it off (the schedule is deleted). */
  at: DailyTime | null;
  taskQueue: string;
  log: Logger;
}

export type ScheduleOutcome = 'created' | 'updated' | 'unchanged' | 'deleted' | 'absent';

function scheduleOf(at: DailyTime, taskQueue: string): ScheduleOptions {
  return {
    scheduleId: RECONCILIATION_SCHEDULE_ID,
    spec: { calendars: [{ hour: at.hour, minute: at.minute }], timezone: at.timeZone },
    action: { type: 'startWorkflow', workflowType: RECONCILIATION_WORKFLOW_TYPE, workflowId: RECONCILIATION_WORKFLOW_ID, taskQueue, args: [{}] },
    policies: { overlap: 'SKIP', catchupWindow: RECONCILIATION_CATCHUP_MS },
    memo: { purpose: 'Daily reconciliation of faxes with Stripe and the carrier' },
  };
}

/** Whether a described schedule already runs the reconciliation at this time, on this queue, by this policy. */
function matches(current: ScheduleDescription, at: DailyTime, taskQueue: string): boolean {
  const calendars = current.spec.calendars ?? [];
  const one = (ranges: ReadonlyArray<{ start: number; end: number }> | undefined, value: number): boolean =>
    ranges?.length === 1 && ranges[0].start === value && Math.max(ranges[0].end, value) === value;
  const action = current.action;
  return (
    calendars.length === 1 &&
    one(calendars[0].hour, at.hour) &&
    one(calendars[0].minute, at.minute) &&
    (current.spec.intervals ?? []).length === 0 &&
    // The server names UTC by no name.
    (current.spec.timezone || 'UTC') === at.timeZone &&
    action.type === 'startWorkflow' &&
    action.workflowType === RECONCILIATION_WORKFLOW_TYPE &&
    action.taskQueue === taskQueue &&
    current.policies.overlap === 'SKIP' &&
    current.policies.catchupWindow === RECONCILIATION_CATCHUP_MS
  );
}

/**
 * Makes the reconciliation's schedule what the configuration says, as each worker starts: it
 * creates it, or updates one that runs at another time (or on another queue), or deletes it
 * when switched off. Several workers starting at once agree: one creates, the others find it.
 */
export async function ensureReconciliationSchedule(client: Client, opts: ReconciliationScheduleOptions): Promise<ScheduleOutcome> {
  const handle = client.schedule.getHandle(RECONCILIATION_SCHEDULE_ID);
  if (!opts.at) {
    try {
      await handle.delete();
      opts.log.info('reconciliation schedule deleted (RECONCILE_AT=off)', { scheduleId: RECONCILIATION_SCHEDULE_ID });
      return 'deleted';
    } catch (err) {
      if (err instanceof ScheduleNotFoundError) return 'absent';
      throw err;
    }
  }
  const at = opts.at;
  const wanted = scheduleOf(at, opts.taskQueue);
  try {
    await client.schedule.create(wanted);
    opts.log.info('reconciliation schedule created', { scheduleId: RECONCILIATION_SCHEDULE_ID, at: `${pad(at.hour)}:${pad(at.minute)}`, timeZone: at.timeZone });
    return 'created';
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
  }
  // It exists: made by another worker, or by an earlier start with another setting.
  if (matches(await handle.describe(), at, opts.taskQueue)) return 'unchanged';
  await handle.update((current) => ({ ...current, spec: wanted.spec, action: wanted.action, policies: { ...current.policies, ...wanted.policies } }));
  opts.log.info('reconciliation schedule updated', { scheduleId: RECONCILIATION_SCHEDULE_ID, at: `${pad(at.hour)}:${pad(at.minute)}`, timeZone: at.timeZone });
  return 'updated';
}

const pad = (n: number): string => String(n).padStart(2, '0');

/**
 * The worker's start-up step: its own short-lived client, the schedule as configured. A
 * failure is logged, not thrown: the worker's faxes matter more, and the next start tries again.
 */
export async function ensureSchedules(config: Pick<Config, 'temporal' | 'reconcileAt'>, log: Logger): Promise<void> {
  try {
    const connection = await connectTemporal(config.temporal);
    try {
      await ensureReconciliationSchedule(new Client({ connection, namespace: config.temporal.namespace }), { at: config.reconcileAt, taskQueue: config.temporal.taskQueue, log });
    } finally {
      await connection.close();
    }
  } catch (err) {
    log.error('could not set up the reconciliation schedule', { err });
  }
}
