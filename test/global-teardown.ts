import fs from 'node:fs/promises';
import type { RunningPostgres } from '../src/db/embedded';

export default async function globalTeardown(): Promise<void> {
  const state = (globalThis as Record<string, unknown>).__durafaxTestPg as { pg: RunningPostgres; dir: string } | undefined;
  if (!state) return;
  await state.pg.stop();
  await fs.rm(state.dir, { recursive: true, force: true });
}
