/**
 * The real server's default limits (its dynamic config defaults, as `temporal server start-dev`
 * runs them): payloads, histories, and when a workflow is told to continue as new.
 */
export const LIMITS = {
  /** One payload (an input, a result, a failure, a signal, a memo or search-attribute upsert). */
  blobSizeWarn: 512 * 1024,
  blobSizeError: 2 * 1024 * 1024,
  /** A whole history, in encoded bytes and in events: past the error limit the workflow is terminated. */
  historySizeWarn: 10 * 1024 * 1024,
  historySizeError: 50 * 1024 * 1024,
  historyCountWarn: 10 * 1024,
  historyCountError: 50 * 1024,
  /** Past either, each workflow task tells the workflow to continue as new (`continueAsNewSuggested`). */
  historySizeSuggestContinueAsNew: 4 * 1024 * 1024,
  historyCountSuggestContinueAsNew: 4 * 1024,
} as const;
