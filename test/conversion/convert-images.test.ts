import { IMAGE_MARGIN_PT } from '../../src/conversion/child/sources/picture';
import { PAPERS } from '../../src/conversion/raster/paper';
import { placePage, transformPoint } from '../../src/conversion/raster/placement';
import { bmp, gif, imageFile, tiff } from './helpers/corpus';
import { convert } from './helpers/convert';
import { blackShare, inkBox, verifyResult, type DecodedPage } from './helpers/verify';

const A4_BOX = '0 0 595.28 841.89';
const W = 900;
const H = 1200;

/** Share of black in a rectangle given in fractions of the source picture. */
function shareAt(page: DecodedPage, width: number, height: number, fx0: number, fy0: number, fx1: number, fy1: number): number {
  const m = placePage([0, 0, width, height], PAPERS.a4, IMAGE_MARGIN_PT).matrix;
  const [ax, ay] = transformPoint(m, fx0 * width, fy0 * height);
  const [bx, by] = transformPoint(m, fx1 * width, fy1 * height);
  return blackShare(page, Math.ceil(Math.min(ax, bx)), Math.ceil(Math.min(ay, by)), Math.floor(Math.max(ax, bx)), Math.floor(Math.max(ay, by)));
}

/** The test pattern came through: black square in the middle, white around it, a 50 % grey band on top. */
function expectPattern(page: DecodedPage, width = W, height = H, greyTolerance = 0.1): void {
  expect(shareAt(page, width, height, 0.4, 0.4, 0.6, 0.6)).toBeGreaterThan(0.98);
  expect(shareAt(page, width, height, 0.1, 0.2, 0.9, 0.3)).toBe(0);
  const grey = shareAt(page, width, height, 0.2, 0.02, 0.8, 0.08);
  expect(Math.abs(grey - 0.5)).toBeLessThanOrEqual(greyTolerance);
}

describe('image conversion', () => {
  test.each([
    ['png', () => imageFile('png', W, H)],
    ['jpeg', () => imageFile('jpeg', W, H)],
    ['webp', () => imageFile('webp', W, H)],
    ['gif', () => gif(W, H)],
    ['bmp', () => bmp(W, H)],
  ] as const)('%s: one page with the picture centred within the margins', async (type, make) => {
    const result = await convert(make());
    expect(result.sourceType).toBe(type);
    expect(result.pages).toBe(1);
    const [page] = verifyResult(result, 2287, A4_BOX);
    expectPattern(page);
    const box = inkBox(page)!;
    // 10 mm margin at 204 dpi is 80 pixels.
    expect(box.x0).toBeGreaterThanOrEqual(75);
    expect(box.x1).toBeLessThanOrEqual(1728 - 75);
    expect(result.warnings).toEqual([]);
  });

  test('transparent parts of a PNG come out white', async () => {
    const result = await convert(imageFile('png-alpha', W, H));
    const [page] = verifyResult(result, 2287, A4_BOX);
    expectPattern(page);
    // The left tenth is transparent over the grey band.
    expect(shareAt(page, W, H, 0.01, 0.02, 0.09, 0.08)).toBe(0);
  });

  test('multi-page TIFF gives one fax page per image', async () => {
    const result = await convert(
      tiff([
        { width: W, height: H },
        { width: W, height: H },
        { width: 600, height: 800 },
      ]),
    );
    expect(result.sourceType).toBe('tiff');
    expect(result.pages).toBe(3);
    const pages = verifyResult(result, 2287, A4_BOX);
    expectPattern(pages[0]);
    expectPattern(pages[1]);
    expectPattern(pages[2], 600, 800);
    // 600 pixels across 190 mm is about 80 dpi.
    expect(result.warnings).toEqual([{ code: 'low_resolution', page: 3 }]);
  });

  test('a landscape photo is turned to portrait, its top edge to the left', async () => {
    const result = await convert(imageFile('jpeg', 1600, 1200));
    const [page] = verifyResult(result, 2287, A4_BOX);
    expectPattern(page, 1600, 1200);
    // The grey band along the photo's top edge now runs down the left side of the page.
    const box = inkBox(page)!;
    const band = blackShare(page, box.x0 + 5, box.y0 + 50, box.x0 + 60, box.y1 - 50);
    expect(band).toBeGreaterThan(0.35);
    expect(band).toBeLessThan(0.65);
    expect(box.y1 - box.y0).toBeGreaterThan(box.x1 - box.x0);
  });
});

describe('plain text conversion', () => {
  test('lays text out in pages, breaking at form feeds', async () => {
    const result = await convert(Buffer.from('First page\fSecond page\n\fThird page, ünïcödé, Ελληνικά, Русский, 中文\f', 'utf8'));
    expect(result.sourceType).toBe('text');
    expect(result.pages).toBe(3);
    const pages = verifyResult(result, 2287, A4_BOX);
    for (const page of pages) {
      const box = inkBox(page)!;
      // 15 mm left margin, text on the first line.
      expect(box.x0).toBeGreaterThan(130);
      expect(box.x0).toBeLessThan(160);
      expect(box.y0).toBeLessThan(200);
    }
  });

  test('starts a new page when one is full and wraps long lines', async () => {
    const lines = Array.from({ length: 150 }, (_, i) => `Line ${i + 1}`);
    lines.push('word '.repeat(60));
    const result = await convert(Buffer.from(lines.join('\n'), 'utf8'));
    // 63 lines per A4 page; the long line wraps onto a second line.
    expect(result.pages).toBe(3);
    const pages = verifyResult(result, 2287, A4_BOX);
    const lastPage = inkBox(pages[2])!;
    expect(lastPage.x1).toBeGreaterThan(1500);
  });

  test('reads UTF-16 text with a byte-order mark', async () => {
    const result = await convert(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('Hello from Notepad', 'utf16le')]));
    expect(result.sourceType).toBe('text');
    expect(result.pages).toBe(1);
  });
});
