import { persistedWorkflowTableColumns } from '$lib/stores/configurable-table-columns';

/**
 * The workflow list's default columns, Durafax's way: the UI's own defaults plus what support
 * reads first on each fax, the search attributes the fax workflow keeps up to date.
 *
 * The UI keeps each namespace's columns in local storage (`persistedWorkflowTableColumns`) and
 * falls back to its built-in six when a namespace has none there; those built-ins are not
 * exported, so they are named here (`DEFAULT_WORKFLOWS_COLUMNS` in the package's
 * stores/configurable-table-columns.js, @temporalio/ui 2.38).
 */
const UI_DEFAULT_COLUMNS = ['Status', 'Workflow ID', 'Run ID', 'Type', 'Start', 'End'];
const FAX_COLUMNS = ['FaxStatus', 'FaxCountry', 'PaymentState', 'FaxPages'];
/** The persisted store's local storage key (its first argument in the package). */
const STORAGE_KEY = 'namespace-workflow-table-columns';

/** What the support agent has chosen for each namespace, as stored: `{}` when nothing is. */
function storedColumns() {
  try {
    const stored = JSON.parse(window.localStorage.getItem(STORAGE_KEY) ?? '{}');
    return stored && typeof stored === 'object' ? stored : {};
  } catch {
    // Unreadable storage: the UI's own store starts empty then too.
    return {};
  }
}

/**
 * Gives `namespace` Durafax's default columns unless the agent has chosen columns for it (the
 * table's column drawer stores them), in which case theirs stay. Only the fax attributes the
 * namespace has registered are added: on a real server before `durafax temporal setup`, or on a
 * namespace without faxes, the list keeps the UI's own defaults.
 */
export function applyFaxColumnDefaults(namespace, customAttributes) {
  const stored = storedColumns();
  if (stored[namespace]?.length) return;
  const fax = FAX_COLUMNS.filter((name) => name in customAttributes);
  if (!fax.length) return;
  const [status, workflowId, ...rest] = UI_DEFAULT_COLUMNS;
  // Read from storage rather than the store: the UI's derived store writes its built-in
  // defaults into the store's value (in memory only) for every namespace it has seen, which
  // would otherwise be saved here as if someone had chosen them.
  persistedWorkflowTableColumns.set({
    ...stored,
    [namespace]: [status, workflowId, ...fax, ...rest].map((label) => ({ label })),
  });
}
