// The workflow bundle's entry: every workflow type the worker registers.
export { faxWorkflow } from './fax';
export { reconciliationWorkflow } from './reconciliation';
