import path from 'node:path';
import { INDEXED_TYPE_NAMES } from './namespaces';
import type { EngineOptions } from './server';

export interface CliOptions extends EngineOptions {
  logLevel?: 'debug' | 'info' | 'warn' | 'error';
  /** The dev-server shape serves the Temporal UI here, unless `--headless`. */
  ui?: { port: number; host?: string };
}

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

const LEVELS: Record<string, CliOptions['logLevel']> = { debug: 'debug', info: 'info', warn: 'warn', warning: 'warn', error: 'error', fatal: 'error' };

/**
 * Reads the engine's arguments in the three shapes it is started with:
 *  - `durafax engine [--port N] [--ip H] [--data-dir D] [--in-memory] [--time-skipping]`
 *  - `<port> [extra args]`: how the SDK starts Temporal's time-skipping test server
 *  - `server start-dev --port N --namespace NS [--ip H] [--db-filename F] ...`: the `temporal`
 *    CLI's dev server, as TestWorkflowEnvironment.createLocal starts it. Unknown flags are ignored.
 */
export function parseEngineArgs(argv: string[], env: Record<string, string | undefined> = process.env): CliOptions {
  const opts: CliOptions = {};
  let args = [...argv];
  let devServer = false;
  let headless = false;
  let uiPort: number | undefined;
  let uiHost: string | undefined;
  if (args.length && /^\d+$/.test(args[0])) {
    opts.port = Number(args[0]);
    opts.timeSkipping = true;
    opts.logLevel = 'warn';
    args = args.slice(1);
  } else if (args[0] === 'server' && args[1] === 'start-dev') {
    opts.inMemory = true;
    devServer = true;
    args = args.slice(2);
  } else if (env.ENGINE_PORT) {
    opts.port = port(env.ENGINE_PORT, 'ENGINE_PORT');
  }
  const namespaces: string[] = [];
  const attrs: Record<string, number> = {};
  const dynamicConfig: Record<string, string> = {};
  for (let i = 0; i < args.length; i++) {
    const [flag, inline] =
      args[i].startsWith('--') && args[i].includes('=') ? [args[i].slice(0, args[i].indexOf('=')), args[i].slice(args[i].indexOf('=') + 1)] : [args[i], undefined];
    const value = (): string => {
      if (inline !== undefined) return inline;
      const v = args[++i];
      if (v === undefined) throw new UsageError(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case '--port':
      case '-p':
        opts.port = port(value(), flag);
        break;
      case '--ip':
      case '--host':
        opts.host = value();
        break;
      case '--data-dir':
        opts.dataDir = value();
        opts.inMemory = false;
        break;
      case '--db-filename':
        // The temporal CLI's database file: the engine keeps its whole journal in it.
        opts.dbFile = path.resolve(value());
        opts.inMemory = false;
        break;
      case '--in-memory':
        opts.inMemory = true;
        break;
      case '--time-skipping':
        opts.timeSkipping = true;
        break;
      case '--namespace':
      case '-n':
        namespaces.push(value());
        break;
      case '--search-attribute': {
        const [name, type] = value().split('=');
        const t = INDEXED_TYPE_NAMES[type ?? ''];
        if (!name || t === undefined) throw new UsageError(`--search-attribute wants Name=Type (Type one of ${Object.keys(INDEXED_TYPE_NAMES).join(', ')})`);
        attrs[name] = t;
        break;
      }
      case '--log-level': {
        const l = LEVELS[value().toLowerCase()];
        if (l) opts.logLevel = l;
        break;
      }
      case '--dynamic-config-value': {
        const [key, ...rest] = value().split('=');
        if (!key || !rest.length) throw new UsageError('--dynamic-config-value wants KEY=VALUE');
        dynamicConfig[key] = rest.join('=');
        break;
      }
      case '--ui-port':
        uiPort = port(value(), flag);
        break;
      case '--ui-ip':
        uiHost = value();
        break;
      case '--headless':
        headless = true;
        break;
      case '--log-format':
      case '--ui-public-path':
      case '--sqlite-pragma':
      case '--config':
      case '--env':
      case '--http-port':
      case '--metrics-port':
        // Flags of the temporal CLI with a value that this engine does not use.
        value();
        break;
      default:
        // Unknown flags (e.g. --headless) are tolerated so the SDK's argument list always works.
        break;
    }
  }
  if (namespaces.length) opts.namespaces = namespaces;
  if (Object.keys(attrs).length) opts.searchAttributes = attrs;
  if (Object.keys(dynamicConfig).length) opts.dynamicConfig = dynamicConfig;
  // As `temporal server start-dev`: a UI on --ui-port, or the gRPC port + 1000, unless headless.
  if (devServer && !headless) opts.ui = { port: uiPort ?? (opts.port ?? 7233) + 1000, host: uiHost ?? opts.host };
  return opts;
}

function port(text: string, what: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new UsageError(`${what} must be a port number (got "${text}")`);
  return n;
}
