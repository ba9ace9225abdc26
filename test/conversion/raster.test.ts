import { blackRatio, createBitmap, type FaxBitmap } from '../../src/conversion/raster/bitmap';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { ditherToBitmap, encodeG4, encodeG4Rows, findChanges, finishGreyPage, finishGreyPageShared, joinG4, thumbnailPixels } from '../../src/conversion/raster/kernels';
import { bitmapPng, encodeBitmapPng, encodeGreyPng } from '../../src/conversion/raster/png';
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
    ['long runs beyond make-up limits', bitmapOf(3000, 4, (x, y) => (y % 2 === 0 ? x > 2700 : x < 2650))],
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

  test.each(cases)('%s coded in two parts, joined, is the same code to the byte', (_name, bitmap) => {
    const whole = Buffer.from(encodeG4(bitmap));
    const { rowBytes, height, width, data } = bitmap;
    for (const split of [1, height >> 1, height - 1]) {
      const upper = encodeG4Rows(data.subarray(0, split * rowBytes), width, split, null, false);
      const lower = encodeG4Rows(data.subarray(split * rowBytes), width, height - split, data.subarray((split - 1) * rowBytes, split * rowBytes), true);
      expect({ split, code: Buffer.from(joinG4(upper, lower)) }).toEqual({ split, code: whole });
    }
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
    expect(
      blackRatio(
        ditherToBitmap(
          grey(() => 255),
          W,
          H,
        ),
      ),
    ).toBe(0);
    expect(
      blackRatio(
        ditherToBitmap(
          grey(() => 0),
          W,
          H,
        ),
      ),
    ).toBe(1);
  });

  test.each([
    [128, 0.4, 0.6],
    [64, 0.65, 0.85],
    [192, 0.15, 0.35],
  ])('a flat area of grey %i comes out between %f and %f black', (value, min, max) => {
    const ratio = blackRatio(
      ditherToBitmap(
        grey(() => value),
        W,
        H,
      ),
    );
    expect(ratio).toBeGreaterThanOrEqual(min);
    expect(ratio).toBeLessThanOrEqual(max);
  });

  test('paper-white scan noise does not turn into dots', () => {
    const noise = rng(3);
    expect(
      blackRatio(
        ditherToBitmap(
          grey(() => 240 + Math.floor(noise() * 16)),
          W,
          H,
        ),
      ),
    ).toBe(0);
  });

  test('a thin anti-aliased or light stroke stays a solid line', () => {
    // A one-pixel vertical line of grey 140 with a faint anti-aliased neighbour: the kind of stem small text has.
    const b = ditherToBitmap(
      grey((x) => (x === 100 ? 140 : x === 101 ? 220 : 255)),
      W,
      H,
    );
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

describe('preview kernels', () => {
  const noise = rng(31);
  const cases: Array<[string, FaxBitmap]> = [
    ['random noise', bitmapOf(1728, 60, () => noise() < 0.5)],
    ['text-like discs with repeated and blank rows', bitmapOf(1728, 120, (x, y) => y % 40 < 25 && (x % 97 < 6 || (y % 40 > 10 && y % 40 < 13 && x % 300 < 250)))],
    ['long runs of every byte value', bitmapOf(1728, 20, (x, y) => ((x >> 3) * 7 + y) % 9 < 4)],
    ['rows wider than a deflate match (3000 pixels)', bitmapOf(3000, 12, (x, y) => (y < 6 ? x > 2000 : x % 5 === 0))],
    ['odd width, one row', bitmapOf(1001, 1, (x) => x % 3 === 0)],
    ['all white', createBitmap(1728, 2287)],
    ['all black', bitmapOf(64, 50, () => true)],
  ];

  test.each(cases)('%s: the 1-bit PNG inflates (and checks its Adler-32) to exactly the bitmap', (_name, bitmap) => {
    const png = readPng(encodeBitmapPng(bitmap));
    expect([png.width, png.height]).toEqual([bitmap.width, bitmap.height]);
    expect(Buffer.from(png.rows).equals(Buffer.from(bitmap.data))).toBe(true);
  });

  test('a row equal to the one above costs one match: a white page is about 3 bytes a row', () => {
    expect(encodeBitmapPng(createBitmap(1728, 2287)).length).toBeLessThan(2287 * 3.5);
  });

  test.each(cases)('%s: each thumbnail pixel is the share of white in its byte column and rows', (_name, bitmap) => {
    const thumb = thumbnailPixels(bitmap);
    const rowsPer = (8 * 196) / 204;
    expect(thumb.height).toBe(Math.max(1, Math.round(bitmap.height / rowsPer)));
    let black = 0;
    for (let ty = 0; ty < thumb.height; ty++) {
      const from = Math.floor(ty * rowsPer);
      const to = ty === thumb.height - 1 ? bitmap.height : Math.min(bitmap.height, Math.max(from + 1, Math.floor((ty + 1) * rowsPer)));
      for (let i = 0; i < bitmap.rowBytes; i++) {
        let sum = 0;
        for (let y = from; y < to; y++) for (let bit = 0; bit < 8; bit++) sum += (bitmap.data[y * bitmap.rowBytes + i] >> bit) & 1;
        black += sum;
        expect(thumb.pixels[ty * thumb.width + i]).toBe(255 - Math.round((255 * sum) / (8 * (to - from))));
      }
    }
    expect(thumb.blackPixels).toBe(black);
  });
});

test('the thumbnail counts the same black pixels as the bitmap', () => {
  const noise = rng(11);
  const b = bitmapOf(1728, 300, () => noise() < 0.1);
  expect(thumbnailPixels(b).blackPixels / (1728 * 300)).toBeCloseTo(blackRatio(b), 10);
});

/**
 * The dithering rule written plainly, pixel by pixel, as assembly/fax-kernels.ts documents it:
 * the SIMD kernel must give exactly these bits for any page width and content.
 */
function referenceDither(grey: Uint8Array, width: number, height: number): Uint8Array {
  const rowBytes = (width + 7) >> 3;
  const out = new Uint8Array(rowBytes * height);
  const tone = (v: number): number => Math.max(0, Math.min(255, Math.round(((v - 20) * 255) / 215)));
  let incoming = new Int32Array(width);
  for (let y = 0; y < height; y++) {
    const outgoing = new Int32Array(width);
    const px = (x: number, yy: number): number => grey[Math.min(height - 1, Math.max(0, yy)) * width + Math.min(width - 1, Math.max(0, x))];
    let right = 0;
    for (let x = 0; x < width; x++) {
      const raw = px(x, y);
      let black = false;
      let err = 0;
      if (raw <= 20) black = true;
      else if (raw < 235) {
        const l = px(x - 1, y);
        const r = px(x + 1, y);
        const u = px(x, y - 1);
        const d = px(x, y + 1);
        const mn = Math.min(raw, l, r, u, d);
        const mx = Math.max(raw, l, r, u, d);
        if (mx - mn >= 64) black = raw < Math.floor((mn + mx) / 2);
        else {
          const v = tone(raw) + ((incoming[x] + right + 8) >> 4);
          black = v < 128;
          err = v - (black ? 0 : 255);
        }
      }
      if (black) out[y * rowBytes + (x >> 3)] |= 0x80 >> (x & 7);
      right = err * 7;
      if (x > 0) outgoing[x - 1] += err * 3;
      outgoing[x] += err * 5;
      if (x < width - 1) outgoing[x + 1] += err;
    }
    incoming = outgoing;
  }
  return out;
}

describe('dithering kernel (WebAssembly SIMD)', () => {
  const noise = rng(21);
  const patterns: Array<[string, (x: number, y: number) => number]> = [
    ['random grey', () => Math.floor(noise() * 256)],
    ['grey ramps', (x, y) => (x * 3 + y) & 255],
    ['text-like strokes on white', (x, y) => ((x % 23 < 3 && y % 31 < 20) || y % 31 === 25 ? [0, 90, 160, 210][(x + y) & 3] : 255)],
    ['light flat areas next to white rows', (x, y) => (y % 5 === 0 ? 255 : x < 40 ? 200 : 150)],
    ['pixels at the thresholds', (x, y) => [19, 20, 21, 234, 235, 236, 127, 128, 255, 0][(x * 7 + y * 3) % 10]],
  ];
  const sizes: Array<[number, number]> = [
    [1728, 40],
    [64, 30],
    [37, 25],
    [1001, 9],
    [8, 3],
    [17, 1],
  ];
  test.each(patterns)('%s: the same bits as the rule written plainly, at every width', (_name, value) => {
    for (const [width, height] of sizes) {
      const grey = new Uint8Array(width * height);
      for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) grey[y * width + x] = value(x, y);
      const expected = referenceDither(grey, width, height);
      expect({ width, height, bits: Buffer.from(ditherToBitmap(grey, width, height).data) }).toEqual({ width, height, bits: Buffer.from(expected) });
    }
  });

  test('a grey page larger than any before grows the kernel memory and still comes out right', () => {
    // 18 MB: more than the worst-case G4 room a full fax page reserves.
    const width = 4000;
    const height = 4500;
    // White, but for grey ramps in the last rows: they lie past where the memory ended before.
    const grey = new Uint8Array(width * height).fill(255);
    for (let i = (height - 40) * width; i < grey.length; i++) grey[i] = ((i % width) * 255) / width;
    const bits = ditherToBitmap(grey, width, height).data;
    // White rows pass nothing on, so the last 41 rows (one white, then the ramps) stand alone.
    const rowBytes = width / 8;
    const tail = referenceDither(grey.subarray((height - 41) * width), width, 41);
    expect(bits.subarray(0, (height - 41) * rowBytes).every((b) => b === 0)).toBe(true);
    expect(Buffer.from(bits.subarray((height - 41) * rowBytes)).equals(tail)).toBe(true);
  });

  test('a page finished in one pass gives what the separate steps give', () => {
    const grey = new Uint8Array(1728 * 200).map(() => Math.floor(noise() * 256));
    const bitmap = ditherToBitmap(grey, 1728, 200);
    const page = finishGreyPage(grey, 1728, 200);
    expect(Buffer.from(page.g4)).toEqual(Buffer.from(encodeG4(bitmap)));
    expect(Buffer.from(decodeG4(page.g4, 1728, 200))).toEqual(Buffer.from(bitmap.data));
    expect(Buffer.from(readPng(bitmapPng(1728, 200, page.previewRows)).rows)).toEqual(Buffer.from(bitmap.data));
    expect(page.thumbnail).toEqual(thumbnailPixels(bitmap));
  });

  test('a page whose lower half is coded by a helper comes out the same; a failing helper changes nothing', async () => {
    const grey = new Uint8Array(1728 * 301).map(() => Math.floor(noise() * 256));
    const alone = finishGreyPage(grey, 1728, 301);
    let calls = 0;
    const helped = await finishGreyPageShared(grey, 1728, 301, (rows, reference, width, height) => {
      calls++;
      // Copies, as a message to another thread makes them.
      return Promise.resolve(encodeG4Rows(Uint8Array.from(rows), width, height, Uint8Array.from(reference), true));
    });
    expect(calls).toBe(1);
    expect(Buffer.from(helped.g4)).toEqual(Buffer.from(alone.g4));
    expect(Buffer.from(helped.previewRows)).toEqual(Buffer.from(alone.previewRows));
    expect(helped.thumbnail).toEqual(alone.thumbnail);
    const unhelped = await finishGreyPageShared(grey, 1728, 301, () => Promise.reject(new Error('thread gone')));
    expect(Buffer.from(unhelped.g4)).toEqual(Buffer.from(alone.g4));
    const oneRow = grey.subarray(0, 1728);
    expect(Buffer.from((await finishGreyPageShared(oneRow, 1728, 1, () => Promise.reject(new Error('not asked')))).g4)).toEqual(Buffer.from(finishGreyPage(oneRow, 1728, 1).g4));
  });

  test('refuses a grey buffer smaller than the page', () => {
    expect(() => ditherToBitmap(new Uint8Array(10), 4, 4)).toThrow(RangeError);
  });
});

test('the committed WebAssembly is what assembly/fax-kernels.ts compiles to', () => {
  const result = spawnSync(process.execPath, [path.join(__dirname, '../../scripts/build-kernels.js'), '--check'], { encoding: 'utf8' });
  expect(result.stderr).toBe('');
  expect(result.status).toBe(0);
});
