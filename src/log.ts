/**
 * Structured JSON logs, one object per line on stdout. Callers pass ids and codes, never
 * personal data (numbers, emails, names, tokens): log lines leave the machine.
 */
import { writeOut } from './output';

export type Level = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export type Fields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: Fields): void;
  info(msg: string, fields?: Fields): void;
  warn(msg: string, fields?: Fields): void;
  error(msg: string, fields?: Fields): void;
  child(fields: Fields): Logger;
}

export type Sink = (line: string) => void;

function serializeError(err: unknown): unknown {
  if (err instanceof Error) return { name: err.name, message: err.message, stack: err.stack };
  return err;
}

export function createLogger(
  component: string,
  level: Level = (process.env.LOG_LEVEL as Level | undefined) ?? 'info',
  sink: Sink = (line) => writeOut(line + '\n'),
  base: Fields = {},
): Logger {
  const min = ORDER[level] ?? ORDER.info;
  const write = (lvl: Level, msg: string, fields?: Fields): void => {
    if (ORDER[lvl] < min) return;
    const entry: Fields = { time: new Date().toISOString(), level: lvl, component, msg, ...base };
    if (fields) for (const [k, v] of Object.entries(fields)) entry[k] = k === 'err' ? serializeError(v) : v;
    sink(JSON.stringify(entry));
  };
  return {
    debug: (m, f) => write('debug', m, f),
    info: (m, f) => write('info', m, f),
    warn: (m, f) => write('warn', m, f),
    error: (m, f) => write('error', m, f),
    child: (fields) => createLogger(component, level, sink, { ...base, ...fields }),
  };
}

/** A logger that drops everything: for tests that do not look at logs. */
export const silentLogger: Logger = createLogger('silent', 'error', () => undefined);
