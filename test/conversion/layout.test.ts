import { isSheetSized } from '../../src/conversion/child/sources/image';
import { IMAGE_MARGIN_PT } from '../../src/conversion/child/sources/picture';
import { textGrid } from '../../src/conversion/child/sources/text';
import { DEFAULT_LIMITS, formatBytes, resolveLimits } from '../../src/conversion/limits';
import { PAPERS, faxAreaPt } from '../../src/conversion/raster/paper';
import { placePage, transformPoint } from '../../src/conversion/raster/placement';
import { cellWidth, layoutText } from '../../src/conversion/formats/text-layout';
import { wrapWords } from '../../src/conversion/formats/wrap-words';

describe('placing a page on the fax', () => {
  const kx = 204 / 72;
  const ky = 196 / 72;

  test('an A4 page fills an A4 fax at (almost) its own size, centred across the scan line', () => {
    const p = placePage([0, 0, 595.28, 841.89], PAPERS.a4, 0);
    expect(p.rotated).toBe(false);
    // The fax page is 840.1 pt long: the page shrinks by 0.2 %.
    expect(p.scale).toBeCloseTo(((2287 / 196) * 72) / 841.89, 6);
    const [x0, y0] = transformPoint(p.matrix, 0, 0);
    const [x1, y1] = transformPoint(p.matrix, 595.28, 841.89);
    expect(y0).toBeCloseTo(0, 6);
    expect(y1).toBeCloseTo(2287, 6);
    expect(x0 + x1).toBeCloseTo(1728, 6);
    expect(x1 - x0).toBeCloseTo(595.28 * p.scale * kx, 6);
  });

  test('a landscape page turns so its top-left corner lands bottom-left', () => {
    const p = placePage([0, 0, 841.89, 595.28], PAPERS.a4, 0);
    expect(p.rotated).toBe(true);
    const [x, y] = transformPoint(p.matrix, 0, 0);
    const [xr, yr] = transformPoint(p.matrix, 841.89, 0);
    expect(y).toBeCloseTo(2287, 6);
    expect(yr).toBeCloseTo(0, 6);
    expect(x).toBeCloseTo(xr, 6);
    expect(x).toBeLessThan(100);
  });

  test('pictures keep a margin and are centred', () => {
    const p = placePage([0, 0, 100, 100], PAPERS.letter, IMAGE_MARGIN_PT);
    const [x0, y0] = transformPoint(p.matrix, 0, 0);
    const [x1, y1] = transformPoint(p.matrix, 100, 100);
    // Letter is wider than the scan line, so the margin is measured from the scan line's edge.
    const scanWidth = faxAreaPt(PAPERS.letter).width;
    expect(x0).toBeCloseTo(((scanWidth - Math.min(scanWidth, 612)) / 2 + IMAGE_MARGIN_PT) * kx, 4);
    expect(x0 + x1).toBeCloseTo(1728, 6);
    expect(y0 + y1).toBeCloseTo(2156, 6);
    expect((y1 - y0) / ky).toBeCloseTo((x1 - x0) / kx, 4);
  });

  test('page bounds that do not start at 0 are honoured', () => {
    const p = placePage([100, 200, 695.28, 1041.89], PAPERS.a4, 0);
    const [, y0] = transformPoint(p.matrix, 100, 200);
    expect(y0).toBeCloseTo(0, 6);
  });

  test('scans of a whole sheet get no extra margin', () => {
    expect(isSheetSized([0, 0, 595, 842])).toBe(true);
    expect(isSheetSized([0, 0, 792, 612])).toBe(true);
    expect(isSheetSized([0, 0, 400, 300])).toBe(false);
  });
});

describe('plain text layout', () => {
  test('A4 gives 85 columns and 63 lines of 10 pt Courier', () => {
    expect(textGrid(PAPERS.a4)).toEqual({ columns: 85, lines: 63 });
    expect(textGrid(PAPERS.letter)).toEqual({ columns: 87, lines: 58 });
  });

  test('expands tabs, wraps at spaces, hard-breaks long words', () => {
    expect(layoutText('a\tb', 20, 10)).toEqual([['a       b']]);
    expect(layoutText('one two three four', 9, 10)).toEqual([['one two', 'three', 'four']]);
    expect(layoutText('abcdefghijkl', 5, 10)).toEqual([['abcde', 'fghij', 'kl']]);
  });

  test('form feeds and full pages start new pages; trailing blank pages vanish', () => {
    expect(layoutText('p1\fp2\r\n\r\n\f', 10, 10)).toEqual([['p1'], ['p2']]);
    expect(layoutText('1\n2\n3\n4\n5', 10, 2)).toEqual([['1', '2'], ['3', '4'], ['5']]);
    expect(layoutText('a\f\fb', 10, 10)).toEqual([['a'], [], ['b']]);
  });

  test('nothing printable gives no pages', () => {
    expect(layoutText(' \n\f\u0007\t', 10, 10)).toEqual([]);
  });

  test('wide characters take two columns', () => {
    expect(cellWidth('中'.codePointAt(0)!)).toBe(2);
    expect(cellWidth('a'.codePointAt(0)!)).toBe(1);
    expect(layoutText('中文中文中', 4, 10)).toEqual([['中文', '中文', '中']]);
  });

  test('proportional wrapping by measured width', () => {
    const measure = (s: string): number => s.length;
    expect(wrapWords('aa bb cc\n\ndd', 5, measure)).toEqual(['aa bb', 'cc', '', 'dd']);
    expect(wrapWords('abcdefgh', 3, measure)).toEqual(['abc', 'def', 'gh']);
  });
});

describe('limits', () => {
  test('defaults and overrides', () => {
    expect(resolveLimits()).toEqual(DEFAULT_LIMITS);
    expect(resolveLimits({ maxPages: 3 }).maxPages).toBe(3);
    expect(() => resolveLimits({ timeoutMs: 0 })).toThrow(RangeError);
    expect(formatBytes(20 * 1024 * 1024)).toBe('20 MB');
    expect(formatBytes(1536 * 1024)).toBe('1.5 MB');
  });
});
