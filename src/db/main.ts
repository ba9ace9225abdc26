import { loadConfig } from '../config/config';
import { migrate } from './data-source';
import { createLogger } from '../log';

/** `durafax migrate`: applies pending migrations and exits. */
export async function run(): Promise<void> {
  const config = loadConfig('migrate');
  const log = createLogger('migrate', config.logLevel);
  const applied = await migrate(config.databaseUrl);
  log.info(applied.length ? 'migrations applied' : 'database schema is up to date', { applied });
}
