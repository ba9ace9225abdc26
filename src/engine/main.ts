import { createLogger, type Level } from '../log';
import { startIdleTrim } from '../memory-trim';
import { parseEngineArgs } from './cli-args';
import { startEngine, type RunningEngine } from './server';

/** Runs paged out since the last trim that make an idle engine trim again; `settled`: once paging has stopped. */
const PAGED_OUT_WORTH_A_TRIM = { enough: 25, settled: 5 };

/**
 * `durafax engine` / `npm run engine` / bin/durafax-engine: runs the engine until SIGINT or
 * SIGTERM. Listens on 127.0.0.1:7233 unless told otherwise; keeps its journal in
 * ./.durafax/engine. A busy port or a bad argument rejects with a one-line message.
 */
export async function run(argv: string[]): Promise<void> {
  const opts = parseEngineArgs(argv);
  const level: Level = (process.env.ENGINE_LOG_LEVEL as Level | undefined) ?? opts.logLevel ?? (process.env.LOG_LEVEL as Level | undefined) ?? 'info';
  const log = createLogger('engine', level);
  // A bug in one call must not take the server down: log it and keep serving.
  process.on('unhandledRejection', (err) => log.error('unhandled rejection', { err }));
  process.on('uncaughtException', (err) => log.error('uncaught exception', { err }));
  const running: RunningEngine = await startEngine({ ...opts, log });
  // A busy spell and the runs paged out after it leave memory behind: given back once the
  // engine is idle. A fax run holds about 0.37 MB while in memory; the last of a stream (about
  // 75 at 5 faxes a second, paged out 15 s after it) are worth a trim of their own, every 25 of
  // them, and so are the few paged out after that once paging stops (a stream's trim can come
  // between two waves: 60 s after 1,000 faxes the engine held 128 MB with 25 MB of live heap
  // when the last wave was 24 runs, 91 MB when it was more).
  const trim = startIdleTrim(log, { released: { count: () => running.paging().pagedOut, ...PAGED_OUT_WORTH_A_TRIM } });
  // Loaded only with --ui-port: the UI's code (the Temporal client among it) is no part of a plain engine's memory.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const devUi = opts.ui ? (require('./dev-ui') as typeof import('./dev-ui')) : undefined;
  const stopUi =
    devUi && opts.ui
      ? await devUi
          .serveDevUi({ address: running.address, namespace: opts.namespaces?.[0] ?? 'default', host: opts.ui.host ?? '127.0.0.1', port: opts.ui.port, log })
          .catch((err: unknown) => {
            // The gRPC server is what the SDK waits for; a UI that cannot start is reported, not fatal.
            log.error('the Temporal UI could not start; serving without it', { err });
            return undefined;
          })
      : undefined;
  await new Promise<void>((resolve) => {
    const stop = (signal: string): void => {
      log.info('engine stopping', { signal });
      trim.stop();
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      Promise.all([stopUi?.(), running.stop()]).then(
        () => resolve(),
        (err: unknown) => {
          log.error('engine stop failed', { err });
          resolve();
        },
      );
    };
    const onInt = (): void => stop('SIGINT');
    const onTerm = (): void => stop('SIGTERM');
    process.on('SIGINT', onInt);
    process.on('SIGTERM', onTerm);
  });
}
