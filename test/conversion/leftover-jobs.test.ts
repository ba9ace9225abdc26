import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { makeOfficeJob, removeLeftoverOfficeJobs } from '../../src/conversion/office-profile';

/** A worker killed while LibreOffice converted a document left the document in its job folder. */
test("job folders of processes that are gone are removed with the document in them; a live process's and other folders stay", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'durafax-jobs-'));
  try {
    const gone = spawnSync(process.execPath, ['-e', '0']).pid;
    const job = (name: string, ageMs = 0): void => {
      const p = path.join(dir, name);
      fs.mkdirSync(p);
      fs.writeFileSync(path.join(p, 'document.docx'), "a sender's letter");
      const at = new Date(Date.now() - ageMs);
      fs.utimesSync(p, at, at);
    };
    job(`durafax-convert-${gone}-aB3dE`, 0);
    job(`durafax-convert-${process.pid}-fG5hI`, 3_600_000);
    job(`durafax-convert-${process.ppid}-jK7lM`, 3_600_000);
    // Named without a pid (an earlier version): by age.
    job('durafax-convert-Xy12Zq', 3_600_000);
    job('durafax-convert-Uv34Wr', 1_000);
    job('something-else', 3_600_000);
    expect(await removeLeftoverOfficeJobs(240_000, dir)).toBe(2);
    expect(fs.readdirSync(dir).sort()).toEqual(
      [`durafax-convert-${process.pid}-fG5hI`, `durafax-convert-${process.ppid}-jK7lM`, 'durafax-convert-Uv34Wr', 'something-else'].sort(),
    );
    expect(await removeLeftoverOfficeJobs(240_000, dir)).toBe(0);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a job folder is named after the process converting in it, which the clean-up leaves alone', async () => {
  const job = await makeOfficeJob();
  try {
    expect(path.basename(job)).toMatch(new RegExp(`^durafax-convert-${process.pid}-`));
    await removeLeftoverOfficeJobs(3_600_000);
    expect(fs.existsSync(job)).toBe(true);
  } finally {
    fs.rmSync(job, { recursive: true, force: true });
  }
});
