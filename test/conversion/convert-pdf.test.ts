import type { ConversionResult } from '../../src/conversion';
import { convert } from './helpers/convert';
import { PAPERS } from '../../src/conversion/raster/paper';
import { placePage, transformPoint } from '../../src/conversion/raster/placement';
import { A4, LETTER, pdf, renderPdfWithMupdf, textPdf } from './helpers/corpus';
import { blackShare, inkBox, verifyResult } from './helpers/verify';

const A4_BOX = '0 0 595.28 841.89';
const LETTER_BOX = '0 0 612 792';

/** Where a point of a portrait A4 source page lands on an A4 fax page, in pixels. */
function a4Pixel(x: number, y: number): [number, number] {
  return transformPoint(placePage([0, 0, ...A4], PAPERS.a4, 0).matrix, x, y);
}

describe('PDF conversion', () => {
  let portrait: ConversionResult;

  beforeAll(async () => {
    portrait = await convert(
      await pdf([
        { size: A4, marker: 100 },
        { size: A4, grey: [100, 300, 300, 200] },
        { size: LETTER, text: 'A letter-sized page' },
      ]),
      { paper: 'a4' },
    );
  });

  test('counts pages and writes matching TIFF-F, previews and carrier PDF', () => {
    expect(portrait.pages).toBe(3);
    expect(portrait.sourceType).toBe('pdf');
    expect(portrait.paper).toBe('a4');
    verifyResult(portrait, 2287, A4_BOX);
  });

  test('keeps an A4 page at its size and place, margins included', () => {
    const [page] = verifyResult(portrait, 2287, A4_BOX);
    const box = inkBox(page)!;
    const [x0, y0] = a4Pixel(40, 40);
    const [x1, y1] = a4Pixel(140, 140);
    expect(box.x0).toBeCloseTo(x0, -0.5);
    expect(box.y0).toBeCloseTo(y0, -0.5);
    expect(box.x1).toBeCloseTo(x1, -0.5);
    expect(box.y1).toBeCloseTo(y1, -0.5);
    expect(portrait.warnings).toEqual([]);
  });

  test('turns a 50 % grey area into 40–60 % black', () => {
    const page = verifyResult(portrait, 2287, A4_BOX)[1];
    // The inside of the grey rectangle, 10 pt in from its edges.
    const [x0, y0] = a4Pixel(110, 310);
    const [x1, y1] = a4Pixel(390, 490);
    const share = blackShare(page, Math.ceil(x0), Math.ceil(y0), Math.floor(x1), Math.floor(y1));
    expect(share).toBeGreaterThanOrEqual(0.4);
    expect(share).toBeLessThanOrEqual(0.6);
    // Outside it the page stays white.
    const [ox0, oy0] = a4Pixel(100, 550);
    const [ox1, oy1] = a4Pixel(400, 700);
    expect(blackShare(page, Math.ceil(ox0), Math.ceil(oy0), Math.floor(ox1), Math.floor(oy1))).toBe(0);
  });

  test('the carrier PDF shows exactly the transmitted bitmaps to an independent reader (MuPDF)', () => {
    const decoded = verifyResult(portrait, 2287, A4_BOX);
    const rendered = renderPdfWithMupdf(portrait.pdf, 2287);
    expect(rendered).toHaveLength(3);
    rendered.forEach((page, i) => {
      expect([page.width, page.height]).toEqual([1728, 2287]);
      expect(page.data.equals(Buffer.from(decoded[i].bits))).toBe(true);
    });
  });

  test('turns a landscape page a quarter turn, its top edge to the left', async () => {
    const result = await convert(await pdf([{ size: [A4[1], A4[0]], marker: 100 }]), { paper: 'a4' });
    const [page] = verifyResult(result, 2287, A4_BOX);
    const box = inkBox(page)!;
    const m = placePage([0, 0, A4[1], A4[0]], PAPERS.a4, 0).matrix;
    // The marker sat at the top left of the landscape page: now at the bottom left.
    const [ax, ay] = transformPoint(m, 40, 40);
    const [bx, by] = transformPoint(m, 140, 140);
    expect(box.x0).toBeCloseTo(Math.min(ax, bx), -0.5);
    expect(box.x1).toBeCloseTo(Math.max(ax, bx), -0.5);
    expect(box.y0).toBeCloseTo(Math.min(ay, by), -0.5);
    expect(box.y1).toBeCloseTo(Math.max(ay, by), -0.5);
    expect(box.y0).toBeGreaterThan(2287 / 2);
    expect(box.x1).toBeLessThan(1728 / 2);
    expect(result.warnings).toEqual([]);
  });

  test('fits pages to Letter paper when asked', async () => {
    const result = await convert(
      await pdf([
        { size: LETTER, marker: 50 },
        { size: A4, marker: 50 },
      ]),
      { paper: 'letter' },
    );
    expect(result.paper).toBe('letter');
    const pages = verifyResult(result, 2156, LETTER_BOX);
    expect(pages.every((p) => inkBox(p) !== null)).toBe(true);
  });

  test('scales other sizes to fit and says so; warns about dark and blank pages', async () => {
    const a3: [number, number] = [841.89, 1190.55];
    const result = await convert(
      await pdf([
        { size: a3, marker: 200 },
        { size: A4, blank: true },
        { size: A4, black: true },
        { size: A4, text: 'fine' },
      ]),
      { paper: 'a4' },
    );
    verifyResult(result, 2287, A4_BOX);
    expect(result.warnings).toEqual([
      { code: 'resized', page: 1 },
      { code: 'blank_page', page: 2 },
      { code: 'dark_page', page: 3 },
    ]);
    expect(result.pageImages[2].blackRatio).toBeGreaterThan(0.95);
  });

  test.each(['en', 'de', 'fr'] as const)('puts a cover page in %s first and counts it', async (locale) => {
    const doc = await textPdf(2);
    const cover = { senderName: 'Ada Sender', recipientName: 'Bob Receiver', recipientNumber: '+4930123456', subject: 'Contract', message: 'Please sign page 2.', locale };
    const result = await convert(doc, { paper: 'a4', cover });
    expect(result.pages).toBe(3);
    const pages = verifyResult(result, 2287, A4_BOX);
    const coverInk = inkBox(pages[0])!;
    // Text in the upper part of the page, starting at the 20 mm margin.
    expect(coverInk.x0).toBeGreaterThan(100);
    expect(coverInk.y0).toBeLessThan(300);
    expect(result.warnings).toEqual([]);
  });

  test('cover pages differ by language', async () => {
    const doc = await textPdf(1);
    const base = { senderName: 'Ada', recipientName: 'Bob', subject: 'Hello' };
    const [en, de] = await Promise.all((['en', 'de'] as const).map((locale) => convert(doc, { paper: 'a4', cover: { ...base, locale } })));
    expect(en.pageImages[0].preview.equals(de.pageImages[0].preview)).toBe(false);
    expect(en.pageImages[1].preview.equals(de.pageImages[1].preview)).toBe(true);
  });

  test('reports progress page by page', async () => {
    const seen: Array<[number, number]> = [];
    await convert(await textPdf(3), { paper: 'a4', onProgress: (done, total) => seen.push([done, total]) });
    expect(seen).toEqual([
      [1, 3],
      [2, 3],
      [3, 3],
    ]);
  });
});
