import type { ConversionResult } from '../../../src/conversion';
import { decodeG4 } from './g4-decode';
import { readPng } from './png-read';
import { readTiff } from './tiff-read';

export interface DecodedPage {
  width: number;
  height: number;
  /** Packed rows, 1 = black. */
  bits: Uint8Array;
}

/** Image XObjects of the carrier PDF with their dictionaries and raw stream bytes, in page order. */
function pdfImages(pdf: Buffer): Array<{ dict: string; data: Buffer }> {
  const text = pdf.toString('latin1');
  const images: Array<{ dict: string; data: Buffer }> = [];
  const re = /<< \/Type \/XObject \/Subtype \/Image (.*?) >>\nstream\n/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const length = Number(/\/Length (\d+)/.exec(m[1])![1]);
    const start = m.index + m[0].length;
    images.push({ dict: m[1], data: pdf.subarray(start, start + length) });
  }
  return images;
}

function mediaBoxes(pdf: Buffer): string[] {
  return [...pdf.toString('latin1').matchAll(/\/MediaBox \[([^\]]+)\]/g)].map((m) => m[1]);
}

/**
 * Checks everything a conversion promises about its outputs and returns the decoded pages:
 * TIFF Class F tags on one directory per page, each G4 strip decoding to exactly the preview
 * PNG's pixels, and the PDF embedding those same G4 streams at the paper size.
 */
const verified = new WeakMap<ConversionResult, DecodedPage[]>();

export function verifyResult(result: ConversionResult, rows: number, mediaBox: string): DecodedPage[] {
  const known = verified.get(result);
  if (known) return known;
  const pages = verify(result, rows, mediaBox);
  verified.set(result, pages);
  return pages;
}

function verify(result: ConversionResult, rows: number, mediaBox: string): DecodedPage[] {
  const dirs = readTiff(result.tiff);
  expect(dirs).toHaveLength(result.pages);
  expect(result.pageImages).toHaveLength(result.pages);
  const images = pdfImages(result.pdf);
  expect(images).toHaveLength(result.pages);
  expect(mediaBoxes(result.pdf)).toEqual(Array(result.pages).fill(mediaBox));
  return dirs.map((dir, i) => {
    const tag = (t: number): number[] | string | undefined => dir.tags.get(t);
    expect(tag(254)).toEqual([2]);
    expect(tag(256)).toEqual([1728]);
    expect(tag(257)).toEqual([rows]);
    expect(tag(258)).toEqual([1]);
    expect(tag(259)).toEqual([4]);
    expect(tag(262)).toEqual([0]);
    expect(tag(266)).toEqual([1]);
    expect(tag(277)).toEqual([1]);
    expect(tag(278)).toEqual([rows]);
    expect((tag(273) as number[]).length).toBe(1);
    expect(tag(282)).toEqual([204]);
    expect(tag(283)).toEqual([196]);
    expect(tag(296)).toEqual([2]);
    expect(tag(297)).toEqual([i, result.pages]);

    const bits = decodeG4(dir.strip, 1728, rows);
    const png = readPng(result.pageImages[i].preview);
    expect([png.width, png.height, png.bitDepth]).toEqual([1728, rows, 1]);
    // Palette index 0 is white and 1 black, like the bitmap's bits.
    expect(png.palette).toEqual([255, 0]);
    expect(Buffer.from(png.rows).equals(Buffer.from(bits))).toBe(true);

    expect(images[i].data.equals(Buffer.from(dir.strip))).toBe(true);
    expect(images[i].dict).toContain('/Filter /CCITTFaxDecode');
    expect(images[i].dict).toContain(`/DecodeParms << /K -1 /Columns 1728 /Rows ${rows}`);
    expect(images[i].dict).toContain(`/Width 1728 /Height ${rows}`);
    expect(images[i].dict).toContain('/BitsPerComponent 1');

    let black = 0;
    for (const b of bits) for (let k = 0; k < 8; k++) black += (b >> k) & 1;
    expect(result.pageImages[i].blackRatio).toBeCloseTo(black / (1728 * rows), 6);
    return { width: 1728, height: rows, bits };
  });
}

/** Share of black pixels of a decoded page inside a rectangle of pixels. */
export function blackShare(page: DecodedPage, x0: number, y0: number, x1: number, y1: number): number {
  let black = 0;
  for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) black += (page.bits[y * 216 + (x >> 3)] >> (7 - (x & 7))) & 1;
  return black / ((x1 - x0) * (y1 - y0));
}

/** Bounding box of the black pixels of a page, or null when it is blank. */
export function inkBox(page: DecodedPage): { x0: number; y0: number; x1: number; y1: number } | null {
  let box: { x0: number; y0: number; x1: number; y1: number } | null = null;
  for (let y = 0; y < page.height; y++) {
    for (let i = 0; i < 216; i++) {
      const b = page.bits[y * 216 + i];
      if (b === 0) continue;
      for (let k = 0; k < 8; k++) {
        if (!((b >> (7 - k)) & 1)) continue;
        const x = i * 8 + k;
        box = box ? { x0: Math.min(box.x0, x), y0: Math.min(box.y0, y), x1: Math.max(box.x1, x + 1), y1: Math.max(box.y1, y + 1) } : { x0: x, y0: y, x1: x + 1, y1: y + 1 };
      }
    }
  }
  return box;
}
