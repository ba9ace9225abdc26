import type { ReasonCode } from '../../domain/reasons';
import type { CompiledMupdf } from './mupdf';
import type { PageResult } from './page-renderer';
import type { PageJob } from './source-spec';

/** From the conversion process's main thread to a rendering thread. */
export interface ThreadJob {
  job: PageJob;
  /** Pages of the fax, cover included. */
  total: number;
  /** One Int32: the next page to take, shared by every rendering thread of the process. */
  counter: SharedArrayBuffer;
}

/** From the main thread, once, after the thread started: MuPDF as the process compiled it. */
export interface ThreadSetup {
  mupdf: CompiledMupdf;
}

/**
 * From the main thread after each document: what follows belongs to another document, which
 * gets new MuPDF and kernel instances (memory no earlier document was written to).
 */
export interface ThreadDocumentDone {
  documentDone: true;
}

/** Everything the main thread sends a rendering thread. */
export type ToThread = ThreadSetup | ThreadDocumentDone | ThreadJob | ThreadG4;

/** From the main thread: code these rows of a page as the lower part of its G4 image (the main thread codes the rest). */
export interface ThreadG4 {
  g4: { id: number; rows: Uint8Array; reference: Uint8Array; width: number; height: number };
}

/** From a rendering thread back to the main thread. */
export type ThreadMessage =
  | { kind: 'ready' }
  | { kind: 'g4'; id: number; data: Uint8Array; bits: number }
  | { kind: 'g4-failed'; id: number; message: string }
  | { kind: 'page'; result: PageResult }
  /** No page left to take; MuPDF warnings seen (a count: their text may quote the document). */
  | { kind: 'done'; libraryWarnings: number }
  | { kind: 'error'; reason: ReasonCode; message: string; params: Record<string, string | number> }
  | { kind: 'failure'; message: string };

/** Takes the next page index for this thread, or null when every page is taken. */
export function takePage(counter: Int32Array, total: number): number | null {
  const index = Atomics.add(counter, 0, 1);
  return index < total ? index : null;
}

/** Stops every thread from taking more pages (after a failure). */
export function takeNoMore(counter: Int32Array, total: number): void {
  Atomics.store(counter, 0, total);
}
