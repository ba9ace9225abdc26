import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Logger } from '../log';
import { sweepStaleFolders } from '../stale-folders';
import { DEFAULT_LIMITS } from './limits';

/** An office document's job folder in the temporary folder. */
export const JOB_PREFIX = 'durafax-convert-';

/** The LibreOffice user profile of a conversion: its own, inside the job's folder. */
export function officeProfileUrl(jobDir: string): string {
  return pathToFileURL(path.join(jobDir, 'profile')).href;
}

/**
 * Where LibreOffice puts the socket of its single-instance pipe for a profile: always in /tmp
 * (or /var/tmp where /tmp is not writable), whatever TMPDIR says, named after the user id and
 * the MD5 of the profile's URL (its UTF-16 code units, each byte in hex without leading zeros).
 * LibreOffice removes it when it ends; one killed for time leaves it behind, a file in /tmp
 * for every such document.
 */
export function officePipePaths(jobDir: string): string[] {
  const digest = createHash('md5')
    .update(Buffer.from(officeProfileUrl(jobDir), 'utf16le'))
    .digest();
  const name = `OSL_PIPE_${process.getuid?.() ?? 0}_SingleOfficeIPC_${[...digest].map((b) => b.toString(16)).join('')}`;
  return ['/tmp', '/var/tmp'].map((dir) => path.join(dir, name));
}

/** Removes a finished job's folder and the pipe its LibreOffice may have left, however it ended. */
export async function removeOfficeJob(jobDir: string): Promise<void> {
  await fs.rm(jobDir, { recursive: true, force: true });
  await Promise.all(officePipePaths(jobDir).map((p) => fs.rm(p, { force: true })));
}

/** Makes a job folder for a document LibreOffice converts; the conversion removes it when done. */
export function makeOfficeJob(): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), JOB_PREFIX));
}

/** How often a worker looks for job folders left by a stopped process (several may share a machine). */
const SWEEP_MS = 10 * 60_000;

/**
 * A worker killed while LibreOffice converted a document left the document in its job folder:
 * such folders (with their pipes) go once older than twice a conversion's time budget, now
 * and every 10 minutes. Returns what stops it.
 */
export function sweepLeftoverOfficeJobs(log: Logger): () => void {
  return sweepStaleFolders(log, 'conversion folders', SWEEP_MS, { prefix: JOB_PREFIX, maxAgeMs: 2 * DEFAULT_LIMITS.timeoutMs, remove: removeOfficeJob });
}
