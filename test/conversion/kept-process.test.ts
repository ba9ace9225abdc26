import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { ConversionError, conversionImminent, conversionsWaiting, keepConversionProcesses, stopConversionProcesses } from '../../src/conversion';
import { docx, imageFile, textPdf } from './helpers/corpus';
import { convert } from './helpers/convert';
import { canListProcesses, conversionProcesses } from '../helpers/conversion-processes';

const linux = canListProcesses;
if (!linux) console.warn('Kept conversion process tests skipped: they find the processes in /proc, which only Linux has.');

/** Waits until the conversion processes are `expected` (one is killed asynchronously). */
async function processesBecome(expected: number[]): Promise<number[]> {
  for (let i = 0; i < 100 && JSON.stringify(conversionProcesses()) !== JSON.stringify(expected); i++) await delay(20);
  return conversionProcesses();
}

afterEach(() => stopConversionProcesses());

test('each document gets a new MuPDF instance, with memory in which the one before left nothing', () => {
  const hook = path.resolve(__dirname, '../../src/conversion/child/register-ts.js');
  const out = execFileSync(process.execPath, ['-r', hook, path.join(__dirname, 'helpers/mupdf-instances-child.ts')], { encoding: 'utf8', timeout: 120_000 });
  const seen = JSON.parse(out) as {
    firstRead: boolean;
    firstHolds: boolean;
    secondHolds: boolean;
    sameMemory: boolean;
    missing: string[];
    secondWorks: number;
    converted: { pages: number; documentHolds: boolean; nextHolds: boolean; sameMemory: boolean };
  };
  // A document converted as a process converts it: the next document's instance is another,
  // whose memory does not hold what the document's did.
  expect(seen.converted).toEqual({ pages: 1, documentHolds: true, nextHolds: false, sameMemory: false });
  // The first instance read the document, and its bytes are in its memory...
  expect(seen.firstRead).toBe(true);
  expect(seen.firstHolds).toBe(true);
  // ...the next one has memory of its own without them, and the whole API of the mupdf module.
  expect(seen.sameMemory).toBe(false);
  expect(seen.secondHolds).toBe(false);
  expect(seen.missing).toEqual([]);
  expect(seen.secondWorks).toBe(1);
});

(linux ? describe : describe.skip)('a kept conversion process', () => {
  test('converts one document after another as processes of their own would, and goes when idle', async () => {
    const letter = await textPdf(2);
    const picture = imageFile('png', 600, 800);
    // Long enough for the rendering threads to share it: they too get new instances per document.
    const long = await textPdf(24);
    const alone = [(await convert(letter)).tiff, (await convert(picture)).tiff, (await convert(long)).tiff];
    // Not kept: each of those processes went with its answer.
    expect(await processesBecome([])).toEqual([]);

    keepConversionProcesses({ idleMs: 1_000 });
    expect((await convert(letter)).tiff.equals(alone[0])).toBe(true);
    const [pid] = conversionProcesses();
    expect(pid).toBeDefined();
    expect((await convert(picture)).tiff.equals(alone[1])).toBe(true);
    expect((await convert(long)).tiff.equals(alone[2])).toBe(true);
    expect((await convert(letter)).tiff.equals(alone[0])).toBe(true);
    expect((await convert(long)).tiff.equals(alone[2])).toBe(true);
    expect(conversionProcesses()).toEqual([pid]);

    // No document for the idle time: the process is gone.
    await delay(1_200);
    expect(await processesBecome([])).toEqual([]);
  }, 120_000);

  test('documents that come at once take turns, as many at a time as asked, on processes kept warm', async () => {
    keepConversionProcesses({ idleMs: 60_000, concurrency: 2 });
    const letter = await textPdf(1);
    const seen = new Set<number>();
    let most = 0;
    let mostWaiting = 0;
    const watch = (): void => {
      const now = conversionProcesses();
      most = Math.max(most, now.length);
      for (const pid of now) seen.add(pid);
      mostWaiting = Math.max(mostWaiting, conversionsWaiting());
    };
    const first = await Promise.all(Array.from({ length: 6 }, () => convert(letter, { onProgress: watch })));
    expect(first.map((r) => r.pages)).toEqual([1, 1, 1, 1, 1, 1]);
    // Two at a time, the other four waiting their turn: two processes in all, never more.
    expect(mostWaiting).toBeGreaterThan(0);
    expect(most).toBeLessThanOrEqual(2);
    expect(seen.size).toBe(2);
    const kept = conversionProcesses();
    expect(kept.sort()).toEqual([...seen].sort());
    expect(conversionsWaiting()).toBe(0);

    // A later burst meets the same processes (their code optimised), and an announced upload
    // starts none while they wait.
    await conversionImminent();
    await Promise.all(Array.from({ length: 4 }, () => convert(letter, { onProgress: watch })));
    expect(seen.size).toBe(2);
    expect(conversionProcesses().sort()).toEqual(kept);
  }, 120_000);

  test('started when a document is announced, it takes that document', async () => {
    keepConversionProcesses({ idleMs: 60_000 });
    await conversionImminent();
    const started = conversionProcesses();
    expect(started).toHaveLength(1);
    // Announced again while it waits: still the one process.
    await conversionImminent();
    expect(conversionProcesses()).toEqual(started);
    expect((await convert(await textPdf(1))).pages).toBe(1);
    expect(conversionProcesses()).toEqual(started);

    // The waiting process dies (killed from outside): the next announcement readies another.
    process.kill(started[0], 'SIGKILL');
    expect(await processesBecome([])).toEqual([]);
    // Gone from /proc before this process has heard of its exit.
    await delay(200);
    await conversionImminent();
    const again = conversionProcesses();
    expect(again).toHaveLength(1);
    expect(again).not.toEqual(started);
    expect((await convert(await textPdf(1))).pages).toBe(1);
    expect(conversionProcesses()).toEqual(again);
  }, 120_000);

  test('a refused document leaves it for the next; a timeout, a crash, another memory budget or an office document does not', async () => {
    const long = await textPdf(24);
    const crashFree = (await convert(long)).tiff;
    keepConversionProcesses({ idleMs: 60_000 });
    await convert(await textPdf(1));
    const [first] = conversionProcesses();

    await expect(convert(await textPdf(200))).rejects.toMatchObject({ reason: 'too_many_pages' });
    expect(conversionProcesses()).toEqual([first]);

    const late = await convert(await textPdf(20), { limits: { timeoutMs: 30 } }).catch((err: unknown) => err);
    expect(late).toBeInstanceOf(ConversionError);
    expect((late as ConversionError).reason).toBe('conversion_timeout');
    expect(await processesBecome([])).toEqual([]);

    await convert(await textPdf(1), { limits: { memoryMb: 800 } });
    const [budgeted] = conversionProcesses();
    expect(budgeted).toBeDefined();
    // The next document has the default budget: not that process.
    await convert(await textPdf(1));
    const [next] = await processesBecome(conversionProcesses().filter((pid) => pid !== budgeted));
    expect(next).not.toBe(budgeted);

    // A process killed in the middle of a document (a crash): that document fails as the
    // machine's fault (retried by its activity), and the next one gets a new process and the
    // same pages as ever.
    const killed = convert(long, {
      onProgress: () => {
        for (const pid of conversionProcesses()) process.kill(pid, 'SIGKILL');
      },
    }).catch((err: unknown) => err);
    const crash = await killed;
    expect(crash).toBeInstanceOf(Error);
    expect(crash).not.toBeInstanceOf(ConversionError);
    expect(await processesBecome([])).toEqual([]);
    expect((await convert(long)).tiff.equals(crashFree)).toBe(true);
    const warm = conversionProcesses();
    expect(warm).toHaveLength(1);

    // LibreOffice runs in a process's group: an office document gets a process of its own,
    // which goes with it; the warm one waits for the next document. A stand-in for LibreOffice
    // writes the PDF it was asked for.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'durafax-kept-'));
    try {
      const fake = path.join(dir, 'fake-soffice');
      fs.writeFileSync(
        fake,
        `#!${process.execPath}
const out = process.argv[process.argv.indexOf('--outdir') + 1];
require('node:fs').writeFileSync(out + '/document.pdf', Buffer.from(${JSON.stringify((await textPdf(1)).toString('base64'))}, 'base64'));
`,
        { mode: 0o700 },
      );
      let officeProcesses: number[] = [];
      const office = await convert(docx(['Hello']), { libreOffice: fake, onProgress: () => (officeProcesses = conversionProcesses()) });
      expect(office.pages).toBe(1);
      expect(officeProcesses).toHaveLength(2);
      expect(officeProcesses).toEqual(expect.arrayContaining(warm));
      expect(await processesBecome(warm)).toEqual(warm);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
