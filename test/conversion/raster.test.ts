import { blackRatio, createBitmap, type FaxBitmap } from '../../src/conversion/raster/bitmap';
import { ditherToBitmap } from '../../src/conversion/raster/dither';
import { encodeG4, findChanges } from '../../src/conversion/raster/g4-encode';
import { encodeBitmapPng, encodeGreyPng } from '../../src/conversion/raster/png';
import { thumbnailPixels } from '../../src/conversion/raster/thumbnail';
import { decodeG4 } from './helpers/g4-decode';
import { readPng } from './helpers/png-read';

/** Deterministic pseudo-random numbers so a failure can be reproduced. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function setPixel(b: FaxBitmap, x: number, y: number): void {
  b.data[y * b.rowBytes + (x >> 3)] |= 0x80 >> (x & 7);
}

function bitmapOf(width: number, height: number, fill: (x: number, y: number) => boolean): FaxBitmap {
  const b = createBitmap(width, height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) if (fill(x, y)) setPixel(b, x, y);
  return b;
}

describe('G4 (T.6) encoder', () => {
  const cases: Array<[string, FaxBitmap]> = [
    ['all white', bitmapOf(1728, 20, () => false)],
    ['all black', bitmapOf(1728, 20, () => true)],
    ['checkerboard', bitmapOf(1728, 16, (x, y) => ((x + y) & 1) === 1)],
    ['vertical stripes of many widths', bitmapOf(1728, 30, (x) => Math.floor(Math.sqrt(x)) % 2 === 0)],
    ['diagonal edges (vertical modes ±1..3)', bitmapOf(1728, 60, (x, y) => (x + 3 * y) % 200 < 90 || (x - 2 * y + 4000) % 150 < 40)],
    ['long runs beyond make-up limits', bitmapOf(3000, 4, (x, y) => y % 2 === 0 ? x > 2700 : x < 2650)],
    ['odd width with black at the right edge', bitmapOf(1001, 12, (x, y) => x > 990 || (y === 5 && x % 3 === 0))],
    ['first pixel black', bitmapOf(64, 3, (x) => x === 0)],
  ];
  const random = rng(42);
  cases.push(['random noise', bitmapOf(1728, 40, () => random() < 0.3)]);
  const blobs = rng(7);
  const blobby = createBitmap(1728, 200);
  for (let i = 0; i < 400; i++) {
    const cx = Math.floor(blobs() * 1728);
    const cy = Math.floor(blobs() * 200);
    const r = 1 + Math.floor(blobs() * 12);
    for (let y = Math.max(0, cy - r); y < Math.min(200, cy + r); y++)
      for (let x = Math.max(0, cx - r); x < Math.min(1728, cx + r); x++) if ((x - cx) ** 2 + (y - cy) ** 2 < r * r) setPixel(blobby, x, y);
  }
  cases.push(['random discs (text-like shapes)', blobby]);

  test.each(cases)('%s round-trips through an independent decoder', (_name, bitmap) => {
    const g4 = encodeG4(bitmap);
    expect(Buffer.from(decodeG4(g4, bitmap.width, bitmap.height))).toEqual(Buffer.from(bitmap.data));
  });

  test('an all-white page costs one bit per row plus EOFB', () => {
    const g4 = encodeG4(createBitmap(1728, 2287));
    expect(g4.length).toBe(Math.ceil((2287 + 24) / 8));
  });

  test('finds changing elements with sentinels', () => {
    const b = bitmapOf(20, 1, (x) => (x >= 3 && x < 5) || x >= 18);
    const out = new Int32Array(24);
    const n = findChanges(b.data, 0, b.rowBytes, b.width, out);
    expect(Array.from(out.subarray(0, n + 3))).toEqual([3, 5, 18, 20, 20, 20]);
  });
});

describe('grey to 1-bit conversion', () => {
  const W = 400;
  const H = 300;
  const grey = (value: (x: number, y: number) => number): Uint8Array => {
    const g = new Uint8Array(W * H);
    for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) g[y * W + x] = value(x, y);
    return g;
  };

  test('white stays white and black stays black', () => {
    expect(blackRatio(ditherToBitmap(grey(() => 255), W, H))).toBe(0);
    expect(blackRatio(ditherToBitmap(grey(() => 0), W, H))).toBe(1);
  });

  test.each([
    [128, 0.4, 0.6],
    [64, 0.65, 0.85],
    [192, 0.15, 0.35],
  ])('a flat area of grey %i comes out between %f and %f black', (value, min, max) => {
    const ratio = blackRatio(ditherToBitmap(grey(() => value), W, H));
    expect(ratio).toBeGreaterThanOrEqual(min);
    expect(ratio).toBeLessThanOrEqual(max);
  });

  test('paper-white scan noise does not turn into dots', () => {
    const noise = rng(3);
    expect(blackRatio(ditherToBitmap(grey(() => 240 + Math.floor(noise() * 16)), W, H))).toBe(0);
  });

  test('a thin anti-aliased or light stroke stays a solid line', () => {
    // A one-pixel vertical line of grey 140 with a faint anti-aliased neighbour: the kind of stem small text has.
    const b = ditherToBitmap(grey((x) => (x === 100 ? 140 : x === 101 ? 220 : 255)), W, H);
    for (let y = 0; y < H; y++) expect((b.data[y * b.rowBytes + (100 >> 3)] >> (7 - (100 & 7))) & 1).toBe(1);
    expect(blackRatio(b)).toBeCloseTo(1 / W, 3);
  });
});

describe('PNG output', () => {
  test('the 1-bit preview holds exactly the bitmap, with the fax resolution', () => {
    const noise = rng(9);
    const b = bitmapOf(1001, 50, () => noise() < 0.5);
    const png = readPng(encodeBitmapPng(b));
    expect([png.width, png.height, png.bitDepth]).toEqual([1001, 50, 1]);
    // A two-colour palette, white then black, so the rows are the bitmap's own bytes.
    expect(png.palette).toEqual([255, 0]);
    expect(Buffer.from(png.rows)).toEqual(Buffer.from(b.data));
    expect(png.phys).toEqual({ x: 8031, y: 7717 });
  });

  test('grey PNG and thumbnail keep the tone', () => {
    const b = bitmapOf(1728, 2287, (x) => x < 864);
    const thumb = thumbnailPixels(b);
    expect(thumb.width).toBe(216);
    expect(thumb.height).toBe(Math.round(2287 / ((8 * 196) / 204)));
    const png = readPng(encodeGreyPng(thumb.pixels, thumb.width, thumb.height));
    expect(png.rows[10 * png.rowBytes + 5]).toBe(0);
    expect(png.rows[10 * png.rowBytes + 200]).toBe(255);
  });
});

test('the thumbnail counts the same black pixels as the bitmap', () => {
  const noise = rng(11);
  const b = bitmapOf(1728, 300, () => noise() < 0.1);
  expect(thumbnailPixels(b).blackPixels / (1728 * 300)).toBeCloseTo(blackRatio(b), 10);
});
