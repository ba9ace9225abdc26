import { continueAsNew, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { ReconciliationActivities, ReconciliationInput, ReconciliationSummary } from './reconciliation-contract';

const act = proxyActivities<ReconciliationActivities>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '2 minutes',
  // Stripe or the carrier out of reach: try again for a while, then let the next day's run cover the window.
  retry: { initialInterval: '10 seconds', maximumInterval: '5 minutes', maximumAttempts: 12 },
});

/**
 * One run of the daily reconciliation, started by its schedule (or by support through the
 * schedule's trigger): the final faxes changed since the last run, page by page, each
 * compared with Stripe and the carrier; the findings are stored with the run's report.
 */
export async function reconciliationWorkflow(input: ReconciliationInput = {}): Promise<ReconciliationSummary> {
  const opened = await act.openReconciliation(workflowInfo().workflowId);
  let after = input.after ?? null;
  let checked = input.checked ?? 0;
  for (;;) {
    const page = await act.reconcileFaxes(opened.reportId, after);
    checked += page.checked;
    after = page.next;
    if (!after) break;
    // A very long window: the same run goes on in a fresh history (the report is found again by the workflow id).
    if (workflowInfo().continueAsNewSuggested) await continueAsNew<typeof reconciliationWorkflow>({ after, checked });
  }
  return act.closeReconciliation(opened.reportId, checked);
}
