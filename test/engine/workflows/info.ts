import { sleep, upsertMemo, workflowInfo } from '@temporalio/workflow';

export interface InfoReport {
  root?: string;
  executionTimeoutMs?: number;
  runTimeoutMs?: number;
  datetimeIsDate: boolean;
  firstBuildId?: string;
  continueAsNewSuggested: boolean;
  historySize: number;
  historyLength: number;
}

/** Reports what workflowInfo() says, after `upserts` memo upserts have grown its history. */
export async function reportsInfo(upserts: number): Promise<InfoReport> {
  const first = workflowInfo();
  const datetime: unknown = first.searchAttributes?.CustomDatetimeField?.[0];
  const firstBuildId = first.currentBuildId;
  for (let i = 0; i < upserts; i++) upsertMemo({ [`k${i % 10}`]: i });
  await sleep(1);
  const later = workflowInfo();
  return {
    root: first.root?.workflowId,
    executionTimeoutMs: first.executionTimeoutMs,
    runTimeoutMs: first.runTimeoutMs,
    datetimeIsDate: datetime instanceof Date,
    firstBuildId,
    continueAsNewSuggested: later.continueAsNewSuggested,
    historySize: later.historySize,
    historyLength: later.historyLength,
  };
}
