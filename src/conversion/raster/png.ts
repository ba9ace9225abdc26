import zlib from 'node:zlib';
import type { FaxBitmap } from './bitmap';
import { FAX_DPI_X, FAX_DPI_Y } from './paper';

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  // zlib's CRC-32 (native) is PNG's: over the chunk type and data.
  crc.writeUInt32BE(zlib.crc32(data, zlib.crc32(head.subarray(4))), 0);
  return Buffer.concat([head, data, crc]);
}

/** Two palette entries, index 0 white and index 1 black: the bitmap's own bit values. */
const WHITE_BLACK = Buffer.from([255, 255, 255, 0, 0, 0]);

function png(width: number, height: number, bitDepth: number, raw: Buffer, deflate: zlib.ZlibOptions, dpi?: { x: number; y: number }): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = bitDepth;
  ihdr[9] = bitDepth === 1 ? 3 : 0; // 1 bit: palette (white, black); 8 bits: greyscale
  const parts = [SIGNATURE, chunk('IHDR', ihdr)];
  if (bitDepth === 1) parts.push(chunk('PLTE', WHITE_BLACK));
  if (dpi) {
    // Fax pixels are not square: pHYs tells viewers the real aspect (pixels per metre).
    const phys = Buffer.alloc(9);
    phys.writeUInt32BE(Math.round(dpi.x / 0.0254), 0);
    phys.writeUInt32BE(Math.round(dpi.y / 0.0254), 4);
    phys[8] = 1;
    parts.push(chunk('pHYs', phys));
  }
  parts.push(chunk('IDAT', zlib.deflateSync(raw, deflate)), chunk('IEND', Buffer.alloc(0)));
  return Buffer.concat(parts);
}

/**
 * The bitmap as a 1-bit PNG, pixel for pixel, with the fax resolution in pHYs. It is a
 * two-colour palette image (0 white, 1 black), so the bitmap's rows go in unchanged: no
 * per-pixel work in JavaScript. Run-length deflate is several times faster than the default
 * strategy on such data for a slightly larger file.
 */
export function encodeBitmapPng(bitmap: FaxBitmap): Buffer {
  const { rowBytes, height, data } = bitmap;
  const raw = Buffer.alloc((rowBytes + 1) * height);
  const src = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const words = (rowBytes & 3) === 0 && (data.byteOffset & 3) === 0 ? new Int32Array(data.buffer, data.byteOffset, data.byteLength >> 2) : null;
  // Each row is a filter byte (0: none, already zero) followed by the packed pixels; white rows
  // are zeros already and need no copy.
  for (let y = 0; y < height; y++) {
    if (words !== null && isBlank(words, (y * rowBytes) >> 2, rowBytes >> 2)) continue;
    src.copy(raw, y * (rowBytes + 1) + 1, y * rowBytes, (y + 1) * rowBytes);
  }
  return png(bitmap.width, height, 1, raw, { level: 6, strategy: zlib.constants.Z_RLE }, { x: FAX_DPI_X, y: FAX_DPI_Y });
}

/** An 8-bit greyscale PNG (0 = black). */
export function encodeGreyPng(pixels: Uint8Array, width: number, height: number): Buffer {
  const raw = Buffer.alloc((width + 1) * height);
  for (let y = 0; y < height; y++) {
    raw[y * (width + 1)] = 0;
    raw.set(pixels.subarray(y * width, (y + 1) * width), y * (width + 1) + 1);
  }
  // The fastest level: a thumbnail is small either way.
  return png(width, height, 8, raw, { level: 1 });
}

function isBlank(words: Int32Array, from: number, count: number): boolean {
  for (let i = from, end = from + count; i < end; i++) if (words[i] !== 0) return false;
  return true;
}
