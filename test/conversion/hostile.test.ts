import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConversionError, type ConversionResult } from '../../src/conversion';
import { findLibreOffice } from '../../src/conversion/office-program';
import { hasMessage } from '../../src/i18n';
import os from 'node:os';
import path from 'node:path';
import { convert } from './helpers/convert';
import { bmp, bombPng, docx, elf, encryptedOffice, encryptedPdf, gif, imageFile, textPdf, tiff } from './helpers/corpus';
import * as hostile from './helpers/hostile';

/**
 * Hostile files, made here: each is refused with a reason that has a translated message (or,
 * where the danger is defused by how conversion works — scripts never run, links are never
 * followed — converted without effect), within the conversion's time and memory budgets,
 * without crashing anything, while an ordinary document converting beside them comes out
 * exactly as it does alone. rejections.test.ts has the ordinary refusals, one by one.
 */
const soffice = findLibreOffice();
if (!soffice) console.warn('Hostile office documents skipped: LibreOffice is not installed (apt-get install libreoffice-writer-nogui).');

/** The budgets of this run: far below production's (120 s, 1 GiB) so the test stays short. */
const LIMITS = { timeoutMs: 8_000, memoryMb: 400 };
/** A refusal for exceeding the budget may come a little after it: the child is stopped, then reported. */
const SLACK_MS = 6_000;

/** A reason code, or 'accepted'. */
type Expected = string;
interface HostileCase {
  name: string;
  make: (url: string) => Buffer | Promise<Buffer>;
  /** A reason code, or several a conversion may fairly give; 'accepted': converted, harmlessly. */
  expect: Expected | Expected[];
  office?: boolean;
}

const truncated = (whole: Buffer, share: number): Buffer => whole.subarray(0, Math.floor(whole.length * share));

const CORPUS: HostileCase[] = [
  // Office documents: bombs, lies, links out, and one LibreOffice would chew on for minutes.
  { name: 'DOCX zip bomb (100 MB of text in 100 KB)', make: hostile.zipBombDocx, expect: 'conversion_timeout', office: true },
  { name: 'DOCX whose ZIP claims a 4 GB part', make: hostile.lyingZipDocx, expect: 'corrupt_document', office: true },
  { name: 'DOCX with the billion laughs XML bomb', make: hostile.xmlBombDocx, expect: 'corrupt_document', office: true },
  { name: 'DOCX with an external entity and a linked picture', make: (url) => hostile.externalRefDocx(url), expect: ['corrupt_document', 'accepted'], office: true },
  { name: 'ODT linking a picture and a section on a server', make: (url) => hostile.externalRefOdt(url), expect: 'accepted', office: true },
  { name: 'DOCX that keeps LibreOffice busy past the budget', make: hostile.slowDocx, expect: 'conversion_timeout', office: true },
  { name: 'password-protected office file', make: encryptedOffice, expect: 'encrypted_document' },
  { name: 'truncated DOCX', make: () => truncated(docx(['Hello']), 0.7), expect: 'corrupt_document' },
  // PDFs: loops, lies about pages and sizes, bombs, scripts.
  { name: 'PDF page tree containing itself', make: hostile.pdfPageLoop, expect: 'corrupt_document' },
  { name: 'PDF objects referring to each other in a circle', make: hostile.pdfReferenceLoop, expect: 'accepted' },
  { name: 'PDF cross-reference chain pointing at itself', make: hostile.pdfXrefLoop, expect: 'empty_document' },
  { name: 'PDF claiming a hundred million pages', make: hostile.pdfHugeCount, expect: ['corrupt_document', 'too_many_pages'] },
  { name: 'PDF of 50000 pages in a few kilobytes', make: hostile.pdfManyPagesTiny, expect: ['corrupt_document', 'too_many_pages'] },
  { name: 'PDF page of 5 × 5 km', make: hostile.pdfHugePage, expect: ['empty_document', 'page_too_large'] },
  { name: 'PDF content stream inflating 64 MB', make: () => hostile.pdfFlateBomb(64), expect: ['empty_document', 'conversion_timeout'] },
  { name: 'PDF with JavaScript, a launch action and a form submission', make: (url) => hostile.pdfJavaScript(url), expect: 'accepted' },
  { name: 'PDF nesting arrays 100000 deep', make: hostile.pdfDeepNesting, expect: ['empty_document', 'corrupt_document'] },
  { name: 'encrypted PDF', make: encryptedPdf, expect: 'encrypted_document' },
  { name: 'truncated PDF', make: async () => truncated(await textPdf(3), 0.6), expect: 'corrupt_document' },
  // Pictures: headers that promise gigapixels, bombs in the data and the metadata, truncations.
  { name: 'PNG declaring 100000 × 100000 pixels', make: bombPng, expect: 'page_too_large' },
  { name: 'PNG of 25 MP of compressed zeros with a 50 MB text chunk', make: () => hostile.pngInflateBomb(5000, 50), expect: ['accepted', 'conversion_out_of_memory'] },
  { name: 'JPEG declaring 65500 × 65500 pixels', make: hostile.jpegBomb, expect: 'page_too_large' },
  { name: 'TIFF declaring 1000000 × 1000000 pixels', make: hostile.tiffBomb, expect: 'page_too_large' },
  { name: 'GIF declaring 65535 × 65535 pixels', make: hostile.gifBomb, expect: 'page_too_large' },
  { name: 'WebP declaring the largest canvas', make: hostile.webpBomb, expect: 'page_too_large' },
  { name: 'BMP declaring 30000 × 30000 pixels it does not have', make: hostile.bmpBomb, expect: ['corrupt_document', 'page_too_large'] },
  { name: 'truncated TIFF', make: () => truncated(tiff([{ width: 200, height: 200 }]), 0.5), expect: 'corrupt_document' },
  { name: 'truncated GIF', make: () => truncated(gif(200, 200), 0.6), expect: 'corrupt_document' },
  { name: 'truncated BMP', make: () => truncated(bmp(200, 200), 0.6), expect: 'corrupt_document' },
  { name: 'truncated WebP', make: () => truncated(imageFile('webp', 300, 300), 0.6), expect: 'corrupt_document' },
  // Disguises and polyglots: the content decides, never the name.
  { name: 'PDF with an office document appended (polyglot)', make: async () => hostile.pdfZipPolyglot(await textPdf(1), docx(['x'])), expect: ['corrupt_document', 'accepted'] },
  { name: 'GIF that is also a script (polyglot)', make: hostile.gifScriptPolyglot, expect: 'corrupt_document' },
  { name: 'program renamed to .pdf', make: elf, expect: 'unsupported_format' },
  { name: 'HTML page with a script, sent as a PDF', make: hostile.htmlAsPdf, expect: 'accepted' },
  { name: 'SVG with a script and an external picture', make: (url) => hostile.svgWithScript(url), expect: 'accepted' },
];

interface Outcome {
  name: string;
  result: string;
  ms: number;
}

async function outcomeOf(c: HostileCase, url: string): Promise<Outcome> {
  const input = await c.make(url);
  const started = Date.now();
  let result: string;
  try {
    await convert(input, { limits: LIMITS });
    result = 'accepted';
  } catch (err) {
    // Anything but a ConversionError is a crash of the conversion machinery: reported as such.
    result = err instanceof ConversionError ? err.reason : `crash: ${String(err)}`;
  }
  return { name: c.name, result, ms: Date.now() - started };
}

const digest = (r: ConversionResult): string => createHash('sha256').update(r.tiff).update(r.pdf).digest('hex');

// Conversions here use a temporary folder of their own: what they leave, and any converter still running from it, can be seen.
const savedTmp = process.env.TMPDIR;
let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'durafax-hostile-'));
  process.env.TMPDIR = tmp;
});
afterAll(() => {
  process.env.TMPDIR = savedTmp;
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** Processes whose command line names this test's temporary folder (a LibreOffice profile lives there). */
function convertersStillRunning(): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmd = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (cmd.includes(tmp)) out.push(cmd.replace(/\0/g, ' '));
    } catch {
      // Ended while listing.
    }
  }
  return out;
}

test(`${CORPUS.length} hostile files: a translated reason or a harmless conversion each, within budget, and a bystander unharmed`, async () => {
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    requests.push(req.url ?? '');
    res.end('nothing to see');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    // An ordinary fax, converted alone first, then again and again while the hostile files convert.
    const letter = await textPdf(2);
    const alone = digest(await convert(letter));
    const cases = CORPUS.filter((c) => !c.office || soffice);
    const outcomes: Outcome[] = [];
    let next = 0;
    let hostileDone = false;
    const bystander = (async () => {
      const digests: string[] = [];
      while (!hostileDone) digests.push(digest(await convert(letter)));
      return digests;
    })();
    // Two hostile conversions at a time, beside the bystander.
    await Promise.all(
      [0, 1].map(async () => {
        while (next < cases.length) outcomes.push(await outcomeOf(cases[next++], url));
      }),
    ).finally(() => (hostileDone = true));
    const seen = await bystander;

    const wrong = outcomes.filter((o) => {
      const c = CORPUS.find((x) => x.name === o.name)!;
      return ![c.expect].flat().includes(o.result);
    });
    expect(wrong).toEqual([]);
    for (const o of outcomes) {
      if (o.result !== 'accepted') expect(hasMessage(`reason.${o.result}`)).toBe(true);
      expect(o.ms).toBeLessThan(LIMITS.timeoutMs + SLACK_MS);
    }
    expect(outcomes).toHaveLength(cases.length);
    // Nothing reached out: no entity, link, script or form touched the network.
    expect(requests).toEqual([]);
    expect(seen.length).toBeGreaterThanOrEqual(1);
    expect(new Set(seen)).toEqual(new Set([alone]));
    // No converter (LibreOffice included) outlived its document, and nothing was left behind.
    expect(convertersStillRunning()).toEqual([]);
    expect(fs.readdirSync(tmp)).toEqual([]);
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}, 300_000);
