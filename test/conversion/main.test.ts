import fs from 'node:fs';
import path from 'node:path';
import { run as convertCommand } from '../../src/conversion/main';
import { elf, tempDir, textPdf } from './helpers/corpus';
import { readPng } from './helpers/png-read';
import { readTiff } from './helpers/tiff-read';

/** Runs `durafax convert` with stdout/stderr captured and the exit code it set. */
async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const saved = process.exitCode;
  process.exitCode = 0;
  const stdout = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  });
  const stderr = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    err += String(chunk);
    return true;
  });
  try {
    await convertCommand(args);
  } finally {
    stdout.mockRestore();
    stderr.mockRestore();
  }
  const code = Number(process.exitCode ?? 0);
  process.exitCode = saved;
  return { code, out, err };
}

describe('durafax convert', () => {
  let dir: string;
  beforeEach(() => {
    dir = tempDir();
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('writes fax.tiff, fax.pdf, previews, thumbnails and summary.json', async () => {
    const input = path.join(dir, 'letter.pdf');
    fs.writeFileSync(input, await textPdf(2));
    const out = path.join(dir, 'out');
    const { code, out: stdout } = await run([input, out, '--paper', 'letter', '--cover-subject', 'Hello', '--locale', 'de']);
    expect(code).toBe(0);
    expect(stdout).toContain('3 page(s)');
    expect(fs.readdirSync(out).sort()).toEqual([
      'fax.pdf',
      'fax.tiff',
      'page-01.png',
      'page-02.png',
      'page-03.png',
      'summary.json',
      'thumb-01.png',
      'thumb-02.png',
      'thumb-03.png',
    ]);
    const summary = JSON.parse(fs.readFileSync(path.join(out, 'summary.json'), 'utf8'));
    expect(summary).toMatchObject({ pages: 3, paper: 'letter', sourceType: 'pdf', warnings: [] });
    expect(readTiff(fs.readFileSync(path.join(out, 'fax.tiff')))).toHaveLength(3);
    expect(readPng(fs.readFileSync(path.join(out, 'page-02.png'))).height).toBe(2156);
    expect(readPng(fs.readFileSync(path.join(out, 'thumb-02.png'))).width).toBe(216);
  });

  test('a refused document: a translated message and exit code 1', async () => {
    const input = path.join(dir, 'invoice.pdf');
    fs.writeFileSync(input, elf());
    const { code, err } = await run([input, path.join(dir, 'out'), '--locale', 'fr']);
    expect(code).toBe(1);
    expect(err).toContain('Ce type de fichier n’est pas pris en charge');
    expect(err).toContain('unsupported_format');
    expect(fs.existsSync(path.join(dir, 'out'))).toBe(false);
  });

  test('bad usage: exit code 2 with the usage text', async () => {
    expect((await run([])).code).toBe(2);
    const { code, err } = await run(['a', 'b', '--paper', 'a5']);
    expect(code).toBe(2);
    expect(err).toContain('--paper must be one of a4, letter');
  });

  test('a missing input file: exit code 1', async () => {
    const { code, err } = await run([path.join(dir, 'nope.pdf'), path.join(dir, 'out')]);
    expect(code).toBe(1);
    expect(err).toContain('ENOENT');
  });
});
