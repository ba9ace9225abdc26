import { ConversionError } from '../types';
import type { ImageType } from './source-type';

/** Pixel size of one image (one frame or page of it), read from headers without decoding. */
export interface ImageFrame {
  width: number;
  height: number;
}

const corrupt = (detail: string): ConversionError => new ConversionError('corrupt_document', `image is damaged or truncated: ${detail}`);

function need(buf: Buffer, end: number, what: string): void {
  if (end > buf.length) throw corrupt(`${what} ends past the end of the file`);
}

function png(buf: Buffer): ImageFrame[] {
  need(buf, 33, 'IHDR');
  if (buf.toString('latin1', 12, 16) !== 'IHDR') throw corrupt('no IHDR chunk');
  const frame = { width: buf.readUInt32BE(16), height: buf.readUInt32BE(20) };
  // Walk the chunks to the end: a file cut short has no IEND.
  let o = 8;
  for (;;) {
    need(buf, o + 12, 'chunk');
    const len = buf.readUInt32BE(o);
    const type = buf.toString('latin1', o + 4, o + 8);
    need(buf, o + 12 + len, `${type} chunk`);
    if (type === 'IEND') return [frame];
    o += 12 + len;
  }
}

function jpeg(buf: Buffer): ImageFrame[] {
  let o = 2;
  let frame: ImageFrame | null = null;
  for (;;) {
    need(buf, o + 4, 'marker');
    if (buf[o] !== 0xff) throw corrupt('bad marker');
    const marker = buf[o + 1];
    if (marker === 0xff) {
      o++; // fill byte
      continue;
    }
    if (marker === 0xd8 || (marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) {
      o += 2;
      continue;
    }
    const len = buf.readUInt16BE(o + 2);
    need(buf, o + 2 + len, 'segment');
    // SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC) carry the frame size.
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      frame = { height: buf.readUInt16BE(o + 5), width: buf.readUInt16BE(o + 7) };
    }
    if (marker === 0xda) {
      if (!frame) throw corrupt('scan before frame header');
      // Entropy-coded data never contains FF D9 (FF is stuffed), so the end marker after
      // the first scan proves the file is complete; an EXIF thumbnail's own end marker sits
      // inside APP1, which was skipped by length.
      if (buf.indexOf(Buffer.from([0xff, 0xd9]), o + 2 + len) < 0) throw corrupt('no end of image marker');
      return [frame];
    }
    o += 2 + len;
  }
}

function gif(buf: Buffer): ImageFrame[] {
  need(buf, 13, 'header');
  const screen = { width: buf.readUInt16LE(6), height: buf.readUInt16LE(8) };
  let o = 13;
  if (buf[10] & 0x80) o += 3 * (2 << (buf[10] & 7));
  const frames: ImageFrame[] = [];
  const skipSubBlocks = (): void => {
    for (;;) {
      need(buf, o + 1, 'data block');
      const len = buf[o];
      o += 1 + len;
      if (len === 0) return;
    }
  };
  for (;;) {
    need(buf, o + 1, 'block');
    const block = buf[o];
    if (block === 0x3b) break;
    if (block === 0x21) {
      o += 2;
      skipSubBlocks();
    } else if (block === 0x2c) {
      need(buf, o + 10, 'image descriptor');
      frames.push({ width: buf.readUInt16LE(o + 5), height: buf.readUInt16LE(o + 7) });
      const flags = buf[o + 9];
      o += 10;
      if (flags & 0x80) o += 3 * (2 << (flags & 7));
      o += 1; // LZW minimum code size
      skipSubBlocks();
    } else throw corrupt('unknown block');
  }
  if (frames.length === 0) throw corrupt('no image');
  // Only the first frame is faxed; it is drawn on the logical screen.
  return [{ width: Math.max(screen.width, frames[0].width), height: Math.max(screen.height, frames[0].height) }];
}

function bmp(buf: Buffer): ImageFrame[] {
  need(buf, 26, 'header');
  const headerSize = buf.readUInt32LE(14);
  const core = headerSize === 12;
  need(buf, 14 + (core ? 12 : 30), 'info header');
  const width = core ? buf.readUInt16LE(18) : buf.readInt32LE(18);
  const height = Math.abs(core ? buf.readInt16LE(20) : buf.readInt32LE(22));
  const bpp = buf.readUInt16LE(core ? 24 : 28);
  const compression = core ? 0 : buf.readUInt32LE(30);
  if (width <= 0) throw corrupt('bad width');
  // Uncompressed pixel rows have a fixed size, so a short file is detectable up front.
  if (compression === 0 || compression === 3) {
    const rowBytes = Math.ceil((width * bpp) / 32) * 4;
    need(buf, buf.readUInt32LE(10) + rowBytes * height, 'pixel data');
  }
  return [{ width, height }];
}

function webp(buf: Buffer): ImageFrame[] {
  need(buf, 30, 'header');
  need(buf, 8 + buf.readUInt32LE(4), 'RIFF data');
  const chunk = buf.toString('latin1', 12, 16);
  if (chunk === 'VP8 ') {
    if (buf[23] !== 0x9d || buf[24] !== 0x01 || buf[25] !== 0x2a) throw corrupt('bad VP8 frame tag');
    return [{ width: buf.readUInt16LE(26) & 0x3fff, height: buf.readUInt16LE(28) & 0x3fff }];
  }
  if (chunk === 'VP8L') {
    if (buf[20] !== 0x2f) throw corrupt('bad VP8L signature');
    const bits = buf.readUInt32LE(21);
    return [{ width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1 }];
  }
  if (chunk === 'VP8X') {
    return [{ width: buf.readUIntLE(24, 3) + 1, height: buf.readUIntLE(27, 3) + 1 }];
  }
  throw corrupt(`unknown WebP chunk ${JSON.stringify(chunk)}`);
}

function tiff(buf: Buffer): ImageFrame[] {
  const le = buf[0] === 0x49;
  const u16 = (o: number): number => (le ? buf.readUInt16LE(o) : buf.readUInt16BE(o));
  const u32 = (o: number): number => (le ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
  const frames: ImageFrame[] = [];
  const seen = new Set<number>();
  let ifd = u32(4);
  while (ifd !== 0) {
    if (seen.has(ifd)) throw corrupt('directory loop');
    seen.add(ifd);
    need(buf, ifd + 2, 'directory');
    const n = u16(ifd);
    need(buf, ifd + 2 + n * 12 + 4, 'directory');
    const tags = new Map<number, number[]>();
    for (let i = 0; i < n; i++) {
      const e = ifd + 2 + i * 12;
      const type = u16(e + 2);
      const count = u32(e + 4);
      if (type !== 3 && type !== 4) continue;
      const size = type === 3 ? 2 : 4;
      const at = count * size > 4 ? u32(e + 8) : e + 8;
      need(buf, at + count * size, 'tag values');
      const values: number[] = [];
      for (let k = 0; k < count; k++) values.push(type === 3 ? u16(at + 2 * k) : u32(at + 4 * k));
      tags.set(u16(e), values);
    }
    const width = tags.get(256)?.[0];
    const height = tags.get(257)?.[0];
    if (width === undefined || height === undefined) throw corrupt('no image size');
    const offsets = tags.get(273) ?? tags.get(324) ?? [];
    const counts = tags.get(279) ?? tags.get(325) ?? [];
    if (offsets.length === 0) throw corrupt('no image data');
    offsets.forEach((off, i) => need(buf, off + (counts[i] ?? 0), 'image data'));
    frames.push({ width, height });
    ifd = u32(ifd + 2 + n * 12);
  }
  return frames;
}

/**
 * The frames (pages) of an image with their pixel sizes, from headers alone, so a
 * decompression bomb is refused before anything is decoded. Throws corrupt_document for a
 * file that is cut short or structurally broken.
 */
export function inspectImage(buf: Buffer, type: ImageType): ImageFrame[] {
  let frames: ImageFrame[];
  try {
    if (type === 'png') frames = png(buf);
    else if (type === 'jpeg') frames = jpeg(buf);
    else if (type === 'gif') frames = gif(buf);
    else if (type === 'bmp') frames = bmp(buf);
    else if (type === 'webp') frames = webp(buf);
    else frames = tiff(buf);
  } catch (err) {
    if (err instanceof RangeError) throw corrupt(err.message);
    throw err;
  }
  if (frames.some((f) => f.width === 0 || f.height === 0)) throw corrupt('zero-sized image');
  return frames;
}
