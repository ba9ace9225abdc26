import v8 from 'node:v8';
import { ConversionError } from '../types';
import { forgetKernels } from '../raster/kernels';
import { collectGarbage, compileMupdf, forgetMupdf } from './mupdf';
import { ThreadPool } from './thread-pool';
import { runPipeline } from './pipeline';
import type { ChildMessage, ConversionJob } from './process-messages';

/** See run(). */
const WASM_TIERING_BUDGET = 18_000_000;

function send(message: ChildMessage): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send) return resolve();
    process.send(message, undefined, undefined, () => resolve());
  });
}

/**
 * Ends a document: every thread forgets its MuPDF and kernel instances (the next document gets
 * new ones, at their first use) and frees their memory.
 */
export function documentDone(threads: ThreadPool): void {
  forgetMupdf();
  forgetKernels();
  threads.documentDone();
  collectGarbage();
}

async function handle(job: ConversionJob, threads: ThreadPool): Promise<void> {
  try {
    const cpu = process.cpuUsage();
    const result = await runPipeline(job, threads, (page, done, total) => void send({ kind: 'page', page, done, total }));
    const used = process.cpuUsage(cpu);
    result.cpuMs = Math.round((used.user + used.system) / 1000);
    await send({ kind: 'result', result });
  } catch (err) {
    if (err instanceof ConversionError) await send({ kind: 'error', reason: err.reason, message: err.message, params: err.params });
    else await send({ kind: 'failure', message: err instanceof Error ? (err.stack ?? err.message) : String(err) });
  } finally {
    // After the answer: the document's instances are garbage from here on, none of their
    // memory is used again.
    documentDone(threads);
  }
}

/**
 * The conversion process (forked by ../conversion-process.ts): compiles MuPDF once, says it
 * is ready, then converts the documents it is sent one after the other, each with new MuPDF
 * and kernel instances on every thread (memory no other document was written to), answering
 * each with the result or a ConversionError. Its parent decides how long it lives; if the
 * parent goes away, so does the process.
 */
export function run(): void {
  // V8 moves a WebAssembly function to its optimising compiler once it has run for a budget of
  // about 1.8 million units; compiling MuPDF's many warm functions cost a process's first
  // document more than it saved (a 1-page letter: 240 → 165 ms of CPU with ten times the
  // budget). The hot loops (drawing, the kernels) still get there early, and the optimised
  // code serves every later document of the process.
  v8.setFlagsFromString(`--wasm-tiering-budget=${WASM_TIERING_BUDGET}`);
  // MuPDF's module (from the installed package, not from a sender) is validated function by
  // function as each is first compiled, instead of all 10 MB at start: ≈ 17 ms of CPU less
  // per process, and the functions a fax never calls are never validated.
  v8.setFlagsFromString('--wasm-lazy-validation');
  // Rendering threads start with the first document long enough to share.
  const threads = new ThreadPool();
  process.on('disconnect', () => process.exit(0));
  let queue = Promise.resolve();
  process.on('message', (job: ConversionJob) => {
    queue = queue.then(() => handle(job, threads));
  });
  // Compiling the WebAssembly (lazily: each function at its first call) is most of the
  // start-up time; the first document would wait for it anyway.
  void compileMupdf().then(
    () => send({ kind: 'ready' }),
    (err: unknown) => send({ kind: 'failure', message: `cannot start: ${String(err)}` }),
  );
}

// Forked as a script of its own; importing this module starts nothing.
if (require.main === module) run();
