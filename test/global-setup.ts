import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startEmbeddedPostgres } from '../src/db/embedded';
import { freePort } from '../src/net';

/**
 * One PostgreSQL server for the whole run: TEST_DATABASE_URL when given (a maintenance
 * database URL with CREATEDB rights), otherwise a throwaway embedded server. Each test file
 * creates its own database on it (test/helpers/db.ts).
 */
export default async function globalSetup(): Promise<void> {
  if (process.env.TEST_DATABASE_URL) {
    process.env.DURAFAX_TEST_PG_ADMIN_URL = process.env.TEST_DATABASE_URL;
    return;
  }
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'durafax-test-pg-'));
  await fs.chmod(dir, 0o755);
  const port = await freePort();
  const pg = await startEmbeddedPostgres({ dataDir: path.join(dir, 'data'), port, persistent: false });
  process.env.DURAFAX_TEST_PG_ADMIN_URL = pg.adminUrl;
  (globalThis as Record<string, unknown>).__durafaxTestPg = { pg, dir };
}
