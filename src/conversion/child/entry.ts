import { ConversionError } from '../types';
import { loadMupdf } from './mupdf';
import { runPipeline } from './pipeline';
import type { ChildMessage, ConversionJob } from './protocol';

/**
 * Entry point of the conversion child process (forked by ../runner.ts, one per document):
 * loads MuPDF, says it is ready, takes one job over IPC, answers with the result or a
 * ConversionError, then exits. If the parent goes away, so does the child.
 */
function send(message: ChildMessage): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send) return resolve();
    process.send(message, undefined, undefined, () => resolve());
  });
}

async function handle(job: ConversionJob): Promise<void> {
  try {
    const result = await runPipeline(job, (done, total) => void send({ kind: 'progress', done, total }));
    await send({ kind: 'result', result });
  } catch (err) {
    if (err instanceof ConversionError) await send({ kind: 'error', reason: err.reason, message: err.message, params: err.params });
    else await send({ kind: 'failure', message: err instanceof Error ? (err.stack ?? err.message) : String(err) });
  }
  process.disconnect();
}

process.on('disconnect', () => process.exit(0));
process.once('message', (job: ConversionJob) => void handle(job));
// Loading the WebAssembly module is most of the start-up time; the job waits for it anyway.
void loadMupdf().then(
  () => send({ kind: 'ready' }),
  (err: unknown) => send({ kind: 'failure', message: `cannot load MuPDF: ${String(err)}` }),
);
