import { log } from '@temporalio/workflow';

/**
 * Undoing a fax that Temporal cancelled, as in the saga pattern: each phase adds the step that
 * undoes it once it has begun, newest first, and one function runs them in that order. A step
 * checks what is still there to undo when it runs, because the cancellation may have
 * interrupted its phase anywhere.
 */
export interface UndoStep {
  /** For the worker's log: which undo step ran. */
  what: string;
  run: () => Promise<void>;
}

/** Adds a step so that it runs before every step added earlier. */
export function addUndoStep(steps: UndoStep[], what: string, run: () => Promise<void>): void {
  steps.unshift({ what, run });
}

export async function undoAll(steps: readonly UndoStep[]): Promise<void> {
  for (const step of steps) {
    log.info('undoing', { step: step.what });
    await step.run();
  }
}
