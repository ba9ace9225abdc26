import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { JOB_PREFIX, officePipePaths, removeOfficeJob } from '../../src/conversion/office-profile';
import { removeStaleFolders } from '../../src/stale-folders';
import { agedFolder } from '../helpers/aged-folder';

/** A worker killed while LibreOffice converted a document left the document in its job folder. */
test('job folders older than the budget go with the document in them and their pipe; fresh ones and other folders stay', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'durafax-jobs-'));
  const job = (name: string, ageMs: number): string => agedFolder(dir, name, ageMs, 'document.docx');
  const left = job(`${JOB_PREFIX}Xy12Zq`, 3_600_000);
  // The socket a LibreOffice killed with it left in /tmp, under that folder's name.
  const [pipe] = officePipePaths(left);
  fs.writeFileSync(pipe, '');
  try {
    job(`${JOB_PREFIX}Uv34Wr`, 1_000);
    job('something-else', 3_600_000);
    const folders = { prefix: JOB_PREFIX, maxAgeMs: 240_000, dir, remove: removeOfficeJob };
    expect(await removeStaleFolders(folders)).toBe(1);
    expect(fs.readdirSync(dir).sort()).toEqual([`${JOB_PREFIX}Uv34Wr`, 'something-else']);
    expect(fs.existsSync(pipe)).toBe(false);
    expect(await removeStaleFolders(folders)).toBe(0);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(pipe, { force: true });
  }
});
