import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Logger } from '../log';
import { processAlive } from '../pid';
import { DEFAULT_LIMITS } from './limits';

/** An office document's job folder in the temporary folder: this prefix, the converting process's pid, a dash. */
const JOB_PREFIX = 'durafax-convert-';
const JOB_NAME = /^durafax-convert-(?:(\d+)-)?/;

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

/** Makes a job folder for a document LibreOffice converts: named after this process, which removes it when done. */
export function makeOfficeJob(): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), `${JOB_PREFIX}${process.pid}-`));
}

/**
 * Removes the job folders (and their pipes) of processes that are gone: a worker killed while
 * LibreOffice converted a document left the document in its folder. A folder named without a
 * pid (made by an earlier version) goes once older than `maxAgeMs`, past any conversion's time
 * budget. Returns how many were removed.
 */
export async function removeLeftoverOfficeJobs(maxAgeMs: number, dir = os.tmpdir()): Promise<number> {
  let removed = 0;
  for (const name of await fs.readdir(dir).catch(() => [])) {
    const match = JOB_NAME.exec(name);
    if (!match) continue;
    const job = path.join(dir, name);
    if (match[1] !== undefined) {
      const pid = Number(match[1]);
      if (pid === process.pid || processAlive(pid)) continue;
    } else {
      const stat = await fs.stat(job).catch(() => null);
      if (!stat || Date.now() - stat.mtimeMs <= maxAgeMs) continue;
    }
    await removeOfficeJob(job);
    removed++;
  }
  return removed;
}

/** How often a worker looks for job folders left by stopped processes (several may share a machine). */
const SWEEP_MS = 10 * 60_000;

/** Removes leftover job folders now and every 10 minutes; returns what stops it. */
export function sweepLeftoverOfficeJobs(log: Logger): () => void {
  const sweep = (): void => {
    removeLeftoverOfficeJobs(2 * DEFAULT_LIMITS.timeoutMs).then(
      (removed) => {
        if (removed) log.info('removed conversion folders left by a stopped process', { removed });
      },
      (err: unknown) => log.warn('could not remove old conversion folders', { error: String(err) }),
    );
  };
  sweep();
  const timer = setInterval(sweep, SWEEP_MS);
  timer.unref();
  return () => clearInterval(timer);
}
