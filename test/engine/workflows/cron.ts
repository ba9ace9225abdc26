import { workflowInfo } from '@temporalio/workflow';

export interface CronReport {
  count: number;
  cronSchedule?: string;
  intervalMs?: number;
}

/** Counts its cron runs: each run returns one more than the last run's result. */
export async function cronCount(): Promise<CronReport> {
  const info = workflowInfo();
  const last = info.lastResult as CronReport | undefined;
  return { count: (last?.count ?? 0) + 1, cronSchedule: info.cronSchedule, intervalMs: info.cronScheduleToScheduleInterval };
}
