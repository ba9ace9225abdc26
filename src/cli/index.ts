import { ConfigError } from '../config/config';
import { guardOutput, writeErr, writeOut } from '../output';

const USAGE = `Usage: durafax <command>

  start     run everything on this machine: PostgreSQL, the engine, the sandboxes, web and worker
  web       the web tier (pages, API, webhooks)
  worker    a worker (fax workflows and activities)
  migrate   apply database migrations
  temporal setup   register the fax workflow's search attributes on TEMPORAL_ADDRESS (once per namespace)
  engine    the embedded Temporal-compatible engine (development server)
  ui        the Temporal UI for support staff, over TEMPORAL_ADDRESS (127.0.0.1:8233)
  convert   convert a document into fax pages: durafax convert <input> <output-folder>
  support-user add NAME   print SUPPORT_USERS with a support user added (asks for the password)
`;

/** Loads a command's module only when it runs: the web never loads the engine or the converter. */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const load = <T>(id: string): T => require(id) as T;

/** One CLI for every process; production runs `web`, `worker` and `migrate`, configured by environment. */
async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'start':
      return load<typeof import('../start/main')>('../start/main').run();
    case 'web':
      return load<typeof import('../web/main')>('../web/main').run();
    case 'worker':
      return load<typeof import('../worker/main')>('../worker/main').run();
    case 'migrate':
      return load<typeof import('../db/main')>('../db/main').run();
    case 'temporal':
      return load<typeof import('./temporal-setup')>('./temporal-setup').runTemporal(rest);
    case 'engine':
      return load<typeof import('../engine/main')>('../engine/main').run(rest);
    case 'ui':
      return load<typeof import('../ui/main')>('../ui/main').run();
    case 'convert':
      return load<typeof import('../conversion/main')>('../conversion/main').run(rest);
    case 'support-user':
      return load<typeof import('./support-user')>('./support-user').runSupportUser(rest);
    case 'sandbox':
      return load<typeof import('../twins/main')>('../twins/main').run(rest);
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      writeOut(USAGE);
      return;
    default:
      writeErr(`unknown command "${command}"\n\n${USAGE}`);
      process.exitCode = 2;
  }
}

// A reader of this process's output that goes away must not make its writes fatal (src/output.ts).
guardOutput();

// Under `durafax start`, a closed stdin means the supervisor is gone: stop as on Ctrl-C.
if (process.env.DURAFAX_SUPERVISED === '1') {
  process.stdin.on('close', () => process.kill(process.pid, 'SIGTERM'));
  process.stdin.resume();
  // Watching stdin must not keep a finished process alive.
  (process.stdin as NodeJS.ReadStream & { unref(): void }).unref();
}

main(process.argv.slice(2)).catch((err: unknown) => {
  if (err instanceof ConfigError) writeErr(`${err.message}\n`);
  else writeErr(`durafax: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
