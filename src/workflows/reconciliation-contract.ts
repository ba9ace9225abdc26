/**
 * The contract of the daily reconciliation: the schedule that starts it, its workflow and its
 * activities. The worker, the web tier (support's "run now") and the workflow import it; it
 * imports nothing with I/O.
 */

/** The schedule's id; each run's workflow id is `RECONCILIATION_WORKFLOW_ID-<scheduled time>`. */
export const RECONCILIATION_SCHEDULE_ID = 'durafax-reconciliation';
export const RECONCILIATION_WORKFLOW_ID = 'reconciliation';
export const RECONCILIATION_WORKFLOW_TYPE = 'reconciliationWorkflow';

/** Where a run that continued as new picks up: the same report (found by workflow id), after this fax. */
export interface ReconciliationInput {
  after?: string | null;
  checked?: number;
}

export interface ReconciliationOpened {
  reportId: string;
  /** ISO times of the window of fax changes this run covers. */
  windowFrom: string;
  windowTo: string;
}

export interface ReconciliationPage {
  /** Faxes compared on this page. */
  checked: number;
  /** Findings recorded on this page. */
  findings: number;
  /** The last fax of the page, where the next page starts; null after the last page. */
  next: string | null;
}

export interface ReconciliationSummary {
  reportId: string;
  windowFrom: string;
  windowTo: string;
  faxesChecked: number;
  findings: number;
}

/** Each is idempotent: the report is found by the workflow id, findings are recorded once. */
export interface ReconciliationActivities {
  /** Opens (or finds again) the report of this workflow and fixes its window. */
  openReconciliation(workflowId: string): Promise<ReconciliationOpened>;
  /** Compares one page of the window's final faxes with Stripe and the carrier. */
  reconcileFaxes(reportId: string, after: string | null): Promise<ReconciliationPage>;
  /** Ends the report and logs its summary. */
  closeReconciliation(reportId: string, faxesChecked: number): Promise<ReconciliationSummary>;
}
