import { parentPort } from 'node:worker_threads';
import { ConversionError } from '../types';
import { collectGarbage, forgetMupdf, loadMupdf, useCompiledMupdf } from './mupdf';
import { encodeG4Rows, forgetKernels } from '../raster/kernels';
import { takePage, type ThreadG4, type ThreadJob, type ThreadMessage, type ToThread } from './thread-messages';
import { PageRenderer } from './page-renderer';

/**
 * A rendering thread of the conversion process: its own MuPDF instance (a new one for each
 * document) opens the same document and takes pages from the shared counter until none is
 * left, rendering and finishing each one, while the main thread and the other threads do the same.
 */
function post(message: ThreadMessage): void {
  // Copied, not transferred: the encoded page is small, and a Buffer may share its memory.
  parentPort?.postMessage(message);
}

async function run({ job, total, counter }: ThreadJob): Promise<void> {
  let libraryWarnings = 0;
  const next = new Int32Array(counter);
  let renderer: PageRenderer | null = null;
  try {
    for (let index = takePage(next, total); index !== null; index = takePage(next, total)) {
      // MuPDF and the document at the first page taken: a thread that gets none makes neither.
      if (!renderer) {
        const mupdf = await loadMupdf();
        mupdf.setLog({ warning: () => libraryWarnings++, error: () => libraryWarnings++ });
        renderer = new PageRenderer(mupdf, job);
      }
      post({ kind: 'page', result: await renderer.render(index) });
    }
    post({ kind: 'done', libraryWarnings });
  } catch (err) {
    if (err instanceof ConversionError) post({ kind: 'error', reason: err.reason, message: err.message, params: err.params });
    else post({ kind: 'failure', message: err instanceof Error ? (err.stack ?? err.message) : String(err) });
  } finally {
    renderer?.destroy();
  }
}

/** Codes the lower rows of a page the main thread finishes alone (a one-page document). */
function codeRows({ g4: { id, rows, reference, width, height } }: ThreadG4): void {
  try {
    const { data, bits } = encodeG4Rows(rows, width, height, reference, true);
    post({ kind: 'g4', id, data, bits });
  } catch (err) {
    post({ kind: 'g4-failed', id, message: err instanceof Error ? err.message : String(err) });
  }
}

parentPort?.on('message', (message: ToThread) => {
  if ('mupdf' in message) {
    useCompiledMupdf(message.mupdf);
    post({ kind: 'ready' });
  } else if ('documentDone' in message) {
    forgetMupdf();
    forgetKernels();
    collectGarbage();
  } else if ('g4' in message) codeRows(message);
  else void run(message);
});
