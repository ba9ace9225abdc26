import { spawnSync } from 'node:child_process';

/**
 * The variables a process that parses untrusted documents is given (the conversion child and
 * LibreOffice): where programs, fonts and temporary files are, and the language. Nothing
 * else, so no secret of the worker (APP_SECRET, STRIPE_SECRET_KEY, DATABASE_URL, …) is within
 * reach of a document that exploits a parser.
 */
const PASSED = ['PATH', 'LANG', 'LANGUAGE', 'LC_ALL', 'LC_CTYPE', 'TZ', 'TMPDIR', 'FONTCONFIG_FILE', 'FONTCONFIG_PATH'] as const;

/** A converter's environment: the passed variables of `env`, and `extra`. */
export function converterEnvironment(extra: Record<string, string> = {}, env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const name of PASSED) if (env[name] !== undefined) out[name] = env[name];
  return { ...out, ...extra };
}

/**
 * util-linux's `unshare` in a new user namespace (as the same user) and a new network
 * namespace: the program sees only a loopback interface of its own, which is down.
 */
const NO_NETWORK = ['--user', '--map-current-user', '--net', '--'];

let offline: boolean | undefined;

/** Whether this machine can start a program without network (`unshare` present and user namespaces allowed). */
export function canRunOffline(): boolean {
  offline ??= spawnSync('unshare', [...NO_NETWORK, 'true'], { stdio: 'ignore', timeout: 5_000, env: converterEnvironment() }).status === 0;
  return offline;
}

/**
 * The command line that runs `program` without network where the machine allows it, and as
 * it is elsewhere (a limit the README states): LibreOffice has no business on the network,
 * and a document could make it fetch links.
 */
export function withoutNetwork(program: string, args: string[]): { command: string; args: string[] } {
  return canRunOffline() ? { command: 'unshare', args: [...NO_NETWORK, program, ...args] } : { command: program, args };
}
