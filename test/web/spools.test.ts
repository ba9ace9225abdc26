import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { removeStaleFolders } from '../../src/stale-folders';
import { SPOOL_PREFIX } from '../../src/web/multipart';
import { agedFolder } from '../helpers/aged-folder';

/** Found by the crash storm: a web process killed while reading an upload left the document on disk. */
test('spools older than the request timeout are deleted; fresh ones and other folders stay', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'durafax-spools-'));
  try {
    const spool = (name: string, ageMs: number): string => agedFolder(dir, name, ageMs);
    spool('durafax-upload-left', 120_000);
    spool('durafax-upload-arriving', 1_000);
    spool('something-else', 120_000);
    expect(await removeStaleFolders({ prefix: SPOOL_PREFIX, maxAgeMs: 60_000, dir })).toBe(1);
    expect(fs.readdirSync(dir).sort()).toEqual(['durafax-upload-arriving', 'something-else']);
    expect(await removeStaleFolders({ prefix: SPOOL_PREFIX, maxAgeMs: 60_000, dir })).toBe(0);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
