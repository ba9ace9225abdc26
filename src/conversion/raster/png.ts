import zlib from 'node:zlib';
import type { FaxBitmap } from './bitmap';
import { deflateBitmapRows } from './kernels';
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

function png(width: number, height: number, bitDepth: number, compressed: Uint8Array, dpi?: { x: number; y: number }): Buffer {
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
  parts.push(chunk('IDAT', Buffer.from(compressed.buffer, compressed.byteOffset, compressed.byteLength)), chunk('IEND', Buffer.alloc(0)));
  return Buffer.concat(parts);
}

/**
 * A 1-bit PNG, pixel for pixel, with the fax resolution in pHYs, from the zlib stream of its
 * rows (deflateBitmapRows, or finishGreyPage for a page). It is a two-colour palette image
 * (0 white, 1 black), so the rows are the bitmap's own bytes.
 */
export function bitmapPng(width: number, height: number, rows: Uint8Array): Buffer {
  return png(width, height, 1, rows, { x: FAX_DPI_X, y: FAX_DPI_Y });
}

/** The bitmap as a 1-bit PNG. */
export function encodeBitmapPng(bitmap: FaxBitmap): Buffer {
  return bitmapPng(bitmap.width, bitmap.height, deflateBitmapRows(bitmap));
}

/** An 8-bit greyscale PNG (0 = black). */
export function encodeGreyPng(pixels: Uint8Array, width: number, height: number): Buffer {
  const raw = Buffer.alloc((width + 1) * height);
  for (let y = 0; y < height; y++) {
    raw[y * (width + 1)] = 0;
    raw.set(pixels.subarray(y * width, (y + 1) * width), y * (width + 1) + 1);
  }
  // The fastest level: a thumbnail is small either way.
  return png(width, height, 8, zlib.deflateSync(raw, { level: 1 }));
}
