import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { PDFDocument, PDFName, type PDFRef } from 'pdf-lib';
import sharp from 'sharp';
import { convert } from './helpers/convert';
import { A4, tempDir } from './helpers/corpus';
import { decodeG4 } from './helpers/g4-decode';
import type { PhotoPageReport } from './helpers/pdf-photo-child';
import { verifyResult } from './helpers/verify';
import { blockTonesOf } from './helpers/tones';

const hook = path.resolve(__dirname, '../../src/conversion/child/register-ts.js');
const ROWS = 2287;
/** Just above the size from which photos go to libjpeg-turbo (1 megapixel). */
const W = 1200;
const H = 900;

/** Black share of each 16 × 16 block of a G4 fax page. */
function blockTones(g4base64: string): number[] {
  const bits = decodeG4(Buffer.from(g4base64, 'base64'), 1728, ROWS);
  return blockTonesOf(bits, ROWS);
}

const mean = (t: number[]): number => t.reduce((sum, v) => sum + v, 0) / t.length;

/** Same picture: the same tone overall and in every block, give or take a dot pattern. */
function expectSameTones(a: number[], b: number[]): void {
  expect(mean(a)).toBeGreaterThan(0.05);
  expect(Math.abs(mean(a) - mean(b))).toBeLessThan(0.002);
  expect(Math.max(...a.map((v, i) => Math.abs(v - b[i])))).toBeLessThan(0.08);
}

/** Colourful photo-like samples: a gradient in each channel, a dark disc and some grain. */
function photoSamples(width: number, height: number, seed: number): Buffer {
  const rgb = Buffer.alloc(width * height * 3);
  let s = seed;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      const grain = (s >>> 27) - 16;
      const o = (y * width + x) * 3;
      const inDisc = (x - width / 3) ** 2 + (y - height / 2) ** 2 < (height / 4) ** 2;
      rgb[o] = Math.max(0, Math.min(255, (inDisc ? 20 : (255 * x) / width) + grain));
      rgb[o + 1] = Math.max(0, Math.min(255, (inDisc ? 30 : (255 * y) / height) + grain));
      rgb[o + 2] = Math.max(0, Math.min(255, (inDisc ? 10 : ((x * y) >> 6) & 0xff) + grain));
    }
  }
  return rgb;
}

const raw = (width: number, height: number, seed = 1): sharp.Sharp => sharp(photoSamples(width, height, seed), { raw: { width, height, channels: 3 } });

interface ImageSpec {
  jpeg: Buffer;
  /** The image dictionary (pdf-lib values: strings become names). */
  dict: Record<string, unknown>;
}

function rgbImage(jpeg: Buffer, extra: Record<string, unknown> = {}, width = W, height = H): ImageSpec {
  return { jpeg, dict: { Width: width, Height: height, ColorSpace: 'DeviceRGB', BitsPerComponent: 8, Filter: 'DCTDecode', ...extra } };
}

/** A PDF with one image per A4 page, drawn 500 pt wide in the upper half. */
async function photoPdf(images: Array<ImageSpec | ((doc: PDFDocument) => ImageSpec)>): Promise<Buffer> {
  const doc = await PDFDocument.create();
  for (const item of images) {
    const { jpeg, dict } = typeof item === 'function' ? item(doc) : item;
    const page = doc.addPage(A4);
    const ref = doc.context.register(doc.context.stream(jpeg, { Type: 'XObject', Subtype: 'Image', ...dict }));
    page.node.setXObject(PDFName.of('Im0'), ref);
    const content = doc.context.register(doc.context.flateStream('q 500 0 0 375 47 400 cm /Im0 Do Q'));
    page.node.set(PDFName.of('Contents'), content);
  }
  return Buffer.from(await doc.save());
}

function renderBothWays(file: Buffer, budgetBytes?: number): PhotoPageReport[] {
  const dir = tempDir();
  try {
    const input = path.join(dir, 'in.pdf');
    const out = path.join(dir, 'out.json');
    fs.writeFileSync(input, file);
    const args = ['-r', hook, path.join(__dirname, 'helpers/pdf-photo-child.ts'), input, out, ...(budgetBytes ? [String(budgetBytes)] : [])];
    execFileSync(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'], timeout: 120_000 });
    return JSON.parse(fs.readFileSync(out, 'utf8')) as PhotoPageReport[];
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe('photos in PDFs decoded by libjpeg-turbo', () => {
  test('RGB, progressive, grey, ICC-based and EXIF-tagged JPEGs: swapped while drawn, the same picture as MuPDF decodes, put back after', async () => {
    const grey = Buffer.from(photoSamples(W, H, 3).filter((_, i) => i % 3 === 1));
    const first = await raw(W, H).jpeg({ quality: 90 }).toBuffer();
    const file = await photoPdf([
      rgbImage(first),
      rgbImage(await raw(W, H, 2).jpeg({ quality: 85, progressive: true, chromaSubsampling: '4:4:4' }).toBuffer()),
      {
        jpeg: await sharp(grey, { raw: { width: W, height: H, channels: 1 } })
          .toColourspace('b-w')
          .jpeg({ quality: 90 })
          .toBuffer(),
        dict: { Width: W, Height: H, ColorSpace: 'DeviceGray', BitsPerComponent: 8, Filter: 'DCTDecode' },
      },
      (doc) => {
        // With colour management off, MuPDF reads an ICC-based space by its number of components.
        const profile: PDFRef = doc.context.register(doc.context.stream(new Uint8Array(128), { N: 3, Alternate: 'DeviceRGB' }));
        return rgbImage(first, { ColorSpace: ['ICCBased', profile] });
      },
      // Stored landscape, shown portrait by a photo viewer: a PDF draws the stored samples.
      rgbImage(await raw(W, H, 4).withMetadata({ orientation: 6 }).jpeg({ quality: 90 }).toBuffer()),
      rgbImage(await raw(W, H, 5).jpeg({ quality: 90 }).toBuffer(), { Filter: ['DCTDecode'], DecodeParms: [null] }),
    ]);
    const pages = renderBothWays(file);
    expect(pages.map((page) => page.swapped)).toEqual([1, 1, 1, 1, 1, 1]);
    pages.forEach((page) => {
      expect(page.restored).toBe(true);
      expectSameTones(blockTones(page.sharp), blockTones(page.mupdf));
    });
  });

  test('anything either decoder might read differently stays with MuPDF and renders as before', async () => {
    const jpeg = await raw(W, H).jpeg({ quality: 90 }).toBuffer();
    const file = await photoPdf([
      {
        jpeg: await raw(W, H).toColourspace('cmyk').jpeg({ quality: 90 }).toBuffer(),
        dict: { Width: W, Height: H, ColorSpace: 'DeviceCMYK', BitsPerComponent: 8, Filter: 'DCTDecode' },
      },
      rgbImage(jpeg, { Decode: [1, 0, 1, 0, 1, 0] }),
      rgbImage(jpeg, { ImageMask: true }),
      // The dictionary's size differs from the JPEG's, and so do its colour components.
      rgbImage(jpeg, {}, 1000, 1100),
      rgbImage(jpeg, { ColorSpace: 'DeviceGray' }),
      rgbImage(jpeg, { DecodeParms: { ColorTransform: 0 } }),
      rgbImage(zlib.deflateSync(jpeg), { Filter: ['FlateDecode', 'DCTDecode'] }),
      // Below a megapixel MuPDF's decoder is as quick.
      rgbImage(await raw(1000, 900).jpeg({ quality: 90 }).toBuffer(), {}, 1000, 900),
    ]);
    const pages = renderBothWays(file);
    expect(pages.map((page) => page.swapped)).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    pages.forEach((page) => {
      expect(page.restored).toBe(true);
      expect(page.sharp).toBe(page.mupdf);
    });
    // The inverted page really is drawn inverted (by MuPDF): darker where the first page is light.
    expect(Math.abs(mean(blockTones(pages[1].mupdf)) - mean(blockTones(renderBothWays(await photoPdf([rgbImage(jpeg)]))[0].mupdf)))).toBeGreaterThan(0.05);
  });

  test('a photo shown on several pages stays swapped from page to page', async () => {
    const doc = await PDFDocument.create();
    const jpeg = await raw(W, H).jpeg({ quality: 90 }).toBuffer();
    const image = doc.context.register(doc.context.stream(jpeg, { Type: 'XObject', Subtype: 'Image', ...rgbImage(jpeg).dict }));
    for (let i = 0; i < 3; i++) {
      const page = doc.addPage(A4);
      page.node.setXObject(PDFName.of('Im0'), image);
      page.node.set(PDFName.of('Contents'), doc.context.register(doc.context.flateStream(`q ${300 + i * 50} 0 0 225 47 400 cm /Im0 Do Q`)));
    }
    const pages = renderBothWays(Buffer.from(await doc.save()));
    expect(pages.map((page) => [page.swapped, page.restored])).toEqual([
      [1, true],
      [1, true],
      [1, true],
    ]);
    pages.forEach((page) => expectSameTones(blockTones(page.sharp), blockTones(page.mupdf)));
  });

  test('a photo that does not fit the memory budget is left to MuPDF', async () => {
    const [page] = renderBothWays(await photoPdf([rgbImage(await raw(W, H).jpeg({ quality: 90 }).toBuffer())]), 1024 * 1024);
    expect(page.swapped).toBe(0);
    expect(page.sharp).toBe(page.mupdf);
  });

  test('a multi-page PDF of photos converts on every thread with the pages MuPDF would draw', async () => {
    // Enough pages for a rendering thread to join (ten each); three photos in turn, so each
    // page's reference is drawn once per photo, not once per page.
    const photos: ImageSpec[] = [];
    for (let i = 0; i < 3; i++)
      photos.push(
        rgbImage(
          await raw(W, H, 10 + i)
            .jpeg({ quality: 90 })
            .toBuffer(),
        ),
      );
    const pages = 20;
    const file = await photoPdf(Array.from({ length: pages }, (_, i) => photos[i % photos.length]));
    const result = await convert(file);
    expect(result.pages).toBe(pages);
    const converted = verifyResult(result, ROWS, '0 0 595.28 841.89');
    const reference = renderBothWays(await photoPdf(photos)).map((page) => blockTones(page.mupdf));
    converted.forEach((page, i) => expectSameTones(blockTonesOf(page.bits, ROWS), reference[i % photos.length]));
  });
});
