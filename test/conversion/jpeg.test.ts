import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { tempDir } from './helpers/corpus';
import { convert } from './helpers/convert';
import { decodeG4 } from './helpers/g4-decode';
import { inkBox, verifyResult } from './helpers/verify';
import { blockTonesOf } from './helpers/tones';

const hook = path.resolve(__dirname, '../../src/conversion/child/register-ts.js');
const ROWS = 2287;

const blockTones = (bits: Uint8Array): number[] => blockTonesOf(bits, ROWS);

/** A colourful photo-like JPEG: gradients in every channel and a dark disc. */
async function colourJpeg(width: number, height: number): Promise<Buffer> {
  const rgb = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 3;
      const inDisc = (x - width / 3) ** 2 + (y - height / 2) ** 2 < (height / 4) ** 2;
      rgb[o] = inDisc ? 20 : (255 * x) / width;
      rgb[o + 1] = inDisc ? 30 : (255 * y) / height;
      rgb[o + 2] = inDisc ? 10 : ((x * y) >> 6) & 0xff;
    }
  }
  return sharp(rgb, { raw: { width, height, channels: 3 } })
    .jpeg({ quality: 90 })
    .toBuffer();
}

/** White with a black block in the top-left quarter, as a JPEG with the given EXIF orientation. */
async function markedJpeg(width: number, height: number, orientation?: number): Promise<Buffer> {
  const grey = Buffer.alloc(width * height, 255);
  for (let y = 0; y < height / 4; y++) grey.fill(0, y * width, y * width + Math.floor(width / 4));
  const image = sharp(grey, { raw: { width, height, channels: 1 } });
  return (orientation ? image.withMetadata({ orientation }) : image).jpeg({ quality: 95 }).toBuffer();
}

describe('JPEG decoding', () => {
  test('libjpeg-turbo (sharp) and MuPDF make the same fax page; other bytes fall back to MuPDF', async () => {
    const dir = tempDir();
    try {
      const input = path.join(dir, 'photo.jpg');
      const out = path.join(dir, 'out.json');
      fs.writeFileSync(input, await colourJpeg(1200, 900));
      execFileSync(process.execPath, ['-r', hook, path.join(__dirname, 'helpers/decoder-child.ts'), input, out], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 60_000 });
      const result = JSON.parse(fs.readFileSync(out, 'utf8')) as { decodedBySharp: boolean; sharp: string; mupdf: string; garbage: unknown };
      expect(result.decodedBySharp).toBe(true);
      expect(result.garbage).toBeNull();
      // The decoders may differ in the last bit of a sample (chroma upsampling), which error
      // diffusion turns into other dot patterns of the same tone: compare tones, block by block.
      const a = blockTones(decodeG4(Buffer.from(result.sharp, 'base64'), 1728, ROWS));
      const b = blockTones(decodeG4(Buffer.from(result.mupdf, 'base64'), 1728, ROWS));
      const mean = (t: number[]): number => t.reduce((sum, v) => sum + v, 0) / t.length;
      expect(mean(a)).toBeGreaterThan(0.2);
      expect(Math.abs(mean(a) - mean(b))).toBeLessThan(0.001);
      expect(Math.max(...a.map((v, i) => Math.abs(v - b[i])))).toBeLessThan(0.06);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a photo turned by its EXIF orientation prints upright, like the same photo stored upright', async () => {
    // Orientation 6: the stored pixels are shown turned a quarter clockwise, so the block that is
    // stored top left appears top right, and the stored landscape picture is shown as portrait.
    const tagged = await convert(await markedJpeg(1200, 800, 6));
    const upright = await convert(
      await sharp(await markedJpeg(1200, 800))
        .rotate(90)
        .jpeg({ quality: 95 })
        .toBuffer(),
    );
    const [a] = verifyResult(tagged, 2287, '0 0 595.28 841.89');
    const [b] = verifyResult(upright, 2287, '0 0 595.28 841.89');
    const boxA = inkBox(a)!;
    const boxB = inkBox(b)!;
    for (const key of ['x0', 'y0', 'x1', 'y1'] as const) expect(Math.abs(boxA[key] - boxB[key])).toBeLessThanOrEqual(3);
    // Top right of a portrait page: no quarter turn by the conversion.
    expect(boxA.x0).toBeGreaterThan(1728 / 2);
    expect(boxA.y1).toBeLessThan(2287 / 2);
  });
});
