import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Logger } from './log';

export interface StaleFolders {
  /** The folders' name prefix in the temporary folder (`durafax-upload-`, `durafax-convert-`). */
  prefix: string;
  /** An age no folder still in use reaches (unchanged for longer: its process is gone). */
  maxAgeMs: number;
  /** Where they are: the temporary folder. */
  dir?: string;
  /** How one is removed (with what belongs to it); deleted with its contents by default. */
  remove?: (folder: string) => Promise<void>;
}

const removeFolder = (folder: string): Promise<void> => fs.rm(folder, { recursive: true, force: true });

/**
 * Deletes the temporary folders of a process that was killed while it used them (a document
 * in each: an upload being read, an office document being converted). Given an age no folder
 * in use reaches, processes sharing the temporary folder never delete each other's. Returns
 * how many were deleted.
 */
export async function removeStaleFolders({ prefix, maxAgeMs, dir = os.tmpdir(), remove = removeFolder }: StaleFolders): Promise<number> {
  let removed = 0;
  for (const name of await fs.readdir(dir).catch(() => [])) {
    if (!name.startsWith(prefix)) continue;
    const folder = path.join(dir, name);
    const stat = await fs.stat(folder).catch(() => null);
    if (!stat || Date.now() - stat.mtimeMs <= maxAgeMs) continue;
    await remove(folder);
    removed++;
  }
  return removed;
}

/** Deletes stale folders now and every `everyMs`, logging what it deleted as `what`; returns what stops it. */
export function sweepStaleFolders(log: Logger, what: string, everyMs: number, folders: StaleFolders): () => void {
  const sweep = (): void => {
    removeStaleFolders(folders).then(
      (removed) => {
        if (removed) log.info(`removed ${what} left by a stopped process`, { removed });
      },
      (err: unknown) => log.warn(`could not remove old ${what}`, { error: String(err) }),
    );
  };
  sweep();
  const timer = setInterval(sweep, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
