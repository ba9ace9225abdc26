import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

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
