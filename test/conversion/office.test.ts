import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { findLibreOffice } from '../../src/conversion/office-program';
import { officePipePaths, officeProfileUrl, removeOfficeJob } from '../../src/conversion/office-profile';
import { docx, odt, tempDir } from './helpers/corpus';
import { convert } from './helpers/convert';
import { inkBox, verifyResult } from './helpers/verify';

const soffice = findLibreOffice();
const officeTest = soffice ? test : test.skip;
if (!soffice) {
  console.warn('Office document tests skipped: LibreOffice is not installed (apt-get install libreoffice-writer-nogui).');
}

const A4_BOX = '0 0 595.28 841.89';
const RTF = Buffer.from('{\\rtf1\\ansi\\deff0{\\fonttbl{\\f0 Times New Roman;}}\\f0\\fs24 Hello from RTF.\\par Second paragraph.\\par}', 'latin1');

describe('office documents through LibreOffice', () => {
  officeTest.each([
    ['docx', () => docx(['Hello from Word.', 'A second paragraph.'])],
    ['odt', () => odt(['Hello from Writer.', 'A second paragraph.'])],
    ['rtf', () => RTF],
  ] as const)(
    '%s becomes fax pages',
    async (type, make) => {
      const result = await convert(make());
      expect(result.sourceType).toBe(type);
      expect(result.pages).toBe(1);
      const [page] = verifyResult(result, 2287, A4_BOX);
      const box = inkBox(page)!;
      // Text near the top of the page, inside LibreOffice's default margins.
      expect(box.y0).toBeLessThan(500);
      expect(box.x0).toBeGreaterThan(100);
    },
    120_000,
  );

  officeTest(
    'a Word 97–2003 .doc (made by LibreOffice from a .docx) is recognised and converted',
    async () => {
      const dir = tempDir();
      try {
        fs.writeFileSync(path.join(dir, 'in.docx'), docx(['Hello from an old Word file.']));
        execFileSync(
          soffice!,
          [`-env:UserInstallation=${pathToFileURL(path.join(dir, 'profile')).href}`, '--headless', '--convert-to', 'doc', '--outdir', dir, path.join(dir, 'in.docx')],
          {
            stdio: 'ignore',
            timeout: 60_000,
          },
        );
        const result = await convert(fs.readFileSync(path.join(dir, 'in.doc')));
        expect(result.sourceType).toBe('doc');
        expect(result.pages).toBe(1);
        expect(inkBox(verifyResult(result, 2287, A4_BOX)[0])).not.toBeNull();
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
    120_000,
  );

  officeTest(
    'two conversions run side by side, each with its own LibreOffice profile',
    async () => {
      const [a, b] = await Promise.all([convert(docx(['First document.'])), convert(docx(['Second document.', 'With two paragraphs.']))]);
      expect(a.pages).toBe(1);
      expect(b.pages).toBe(1);
      expect(a.pageImages[0].preview.equals(b.pageImages[0].preview)).toBe(false);
    },
    120_000,
  );
});

describe('a LibreOffice that did not finish', () => {
  officeTest(
    "a LibreOffice killed mid-way leaves its pipe in /tmp, and the job's clean-up removes it",
    async () => {
      const dir = tempDir();
      fs.writeFileSync(path.join(dir, 'in.docx'), docx(['A document that never finishes.']));
      const [pipe] = officePipePaths(dir);
      const proc = spawn(
        soffice!,
        [`-env:UserInstallation=${officeProfileUrl(dir)}`, '--headless', '--norestore', '--convert-to', 'pdf', '--outdir', dir, path.join(dir, 'in.docx')],
        {
          stdio: 'ignore',
          env: { ...process.env, HOME: dir },
          // Its own process group, killed whole, as a conversion's is: soffice starts soffice.bin.
          detached: true,
        },
      );
      const killAll = (): void => {
        try {
          process.kill(-proc.pid!, 'SIGKILL');
        } catch {
          // already gone
        }
      };
      const exited = new Promise((resolve) => proc.once('exit', resolve));
      try {
        // The name is LibreOffice's own: the pipe appears under it while LibreOffice runs.
        const deadline = Date.now() + 60_000;
        while (!fs.existsSync(pipe) && Date.now() < deadline && proc.exitCode === null) await new Promise((r) => setTimeout(r, 20));
        expect(fs.existsSync(pipe)).toBe(true);
        killAll();
        await exited;
        await new Promise((r) => setTimeout(r, 200));
        expect(fs.existsSync(pipe)).toBe(true);
        await removeOfficeJob(dir);
        expect(fs.existsSync(pipe)).toBe(false);
        expect(fs.existsSync(dir)).toBe(false);
      } finally {
        killAll();
        await removeOfficeJob(dir);
      }
    },
    120_000,
  );
});
