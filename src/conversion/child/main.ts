import { ConversionError } from '../types';
import { loadMupdf } from './mupdf';
import { ThreadPool } from './thread-pool';
import { runPipeline } from './pipeline';
import type { ChildMessage, ConversionJob } from './process-messages';
import { warmUp } from './warm-up';

function send(message: ChildMessage): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send) return resolve();
    process.send(message, undefined, undefined, () => resolve());
  });
}

async function handle(job: ConversionJob, threads: ThreadPool): Promise<void> {
  try {
    const cpu = process.cpuUsage();
    const result = await runPipeline(job, threads, (page, done, total) => void send({ kind: 'page', page, done, total }));
    const used = process.cpuUsage(cpu);
    result.cpuMs = Math.round((used.user + used.system) / 1000);
    result.maxRssBytes = process.resourceUsage().maxRSS * 1024;
    await send({ kind: 'result', result });
  } catch (err) {
    if (err instanceof ConversionError) await send({ kind: 'error', reason: err.reason, message: err.message, params: err.params });
    else await send({ kind: 'failure', message: err instanceof Error ? (err.stack ?? err.message) : String(err) });
  }
  await threads.close();
  process.disconnect();
}

/**
 * The conversion child process (forked by ../conversion-process.ts, one per document): loads
 * MuPDF, says it is ready, takes one job over IPC, answers with the result or a
 * ConversionError, then exits. If the parent goes away, so does the child.
 */
export function run(): void {
  // Started with the process, each loading MuPDF alongside this thread, so all are ready when the job arrives.
  const threads = new ThreadPool();
  process.on('disconnect', () => process.exit(0));
  process.once('message', (job: ConversionJob) => void handle(job, threads));
  // Loading the WebAssembly module is most of the start-up time; the job waits for it anyway.
  // A spare process (started ahead of need) also warms up its compiled code first.
  const warm = process.argv.includes('--warm-up');
  void Promise.all([loadMupdf(), threads.ready])
    .then(() => (warm ? warmUp(threads) : undefined))
    .then(
      () => send({ kind: 'ready' }),
      (err: unknown) => send({ kind: 'failure', message: `cannot start: ${String(err)}` }),
    );
}

// Forked as a script of its own; importing this module starts nothing.
if (require.main === module) run();
