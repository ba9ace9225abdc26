import type { Picture } from '../page-source';

type Sharp = typeof import('sharp');

let loading: Promise<Sharp | null> | null = null;

/** sharp (libvips), loaded once per thread; null where its native library cannot load. */
export function loadSharp(): Promise<Sharp | null> {
  loading ??= import('sharp').then(
    (module) => {
      const sharp = module.default;
      // Decoded pixels must not outlive their document in a cache (a process converts one
      // document after another).
      sharp.cache(false);
      // A second libvips thread moves decoded rows on while libjpeg-turbo decodes the next ones:
      // a 12-megapixel photo ≈ 10 ms sooner. (sharp's default of one thread on glibc guards
      // long-running servers against heap fragmentation; a conversion process lives only while
      // documents come.)
      sharp.concurrency(2);
      return sharp;
    },
    () => null,
  );
  return loading;
}

/**
 * Decodes a JPEG with libjpeg-turbo (through sharp), turned upright by its EXIF orientation as
 * MuPDF turns it: grey stays grey, anything else arrives as RGB, and MuPDF scales it and turns
 * it grey as it does every picture. A large photo's decoding is most of its conversion time,
 * and MuPDF's own decoder (WebAssembly) takes about half as long again. Returns null when
 * sharp cannot decode the file: MuPDF then decodes it and decides whether it is damaged.
 * An embedded colour profile is ignored, as MuPDF ignores it with colour management off: a
 * phone photo's Display P3 profile would otherwise cost a colour transform of every pixel.
 * `meanwhile` runs on this thread once the decoding has started on another.
 */
export async function decodeJpeg(data: Uint8Array, maxPixels: number, meanwhile?: (frame: JpegFrame | null) => void): Promise<Picture | null> {
  const sharp = await loadSharp();
  if (!sharp) return null;
  const frame = jpegFrame(data);
  let decoding: Promise<Picture | null>;
  try {
    // Read in order (no random access): about 6 % faster on a large progressive JPEG.
    const image = sharp(data, { limitInputPixels: maxPixels, failOn: 'error', ignoreIcc: true, sequentialRead: true }).rotate();
    // sharp widens grey to RGB on output unless told to keep it.
    if (frame?.components === 1) image.toColourspace('b-w');
    decoding = image
      .raw()
      .toBuffer({ resolveWithObject: true })
      .then(
        ({ data: samples, info }): Picture | null =>
          info.channels === 1 || info.channels === 3 ? { width: info.width, height: info.height, channels: info.channels, samples } : null,
        () => null,
      );
  } catch {
    return null;
  }
  meanwhile?.(frame);
  return decoding;
}

/** What a JPEG's headers say about its samples, read up to the first scan. */
export interface JpegFrame {
  width: number;
  height: number;
  components: number;
  /** Whether three components are stored as YCbCr, the way MuPDF's PDF decoder reads them. */
  ycc: boolean;
  /** Whether libjpeg-turbo reads three components as YCbCr too (it guesses differently from MuPDF in corner cases). */
  yccForTurbo: boolean;
}

/**
 * Reads the frame header of a baseline, extended or progressive Huffman-coded 8-bit JPEG;
 * null for anything else (arithmetic coding, lossless, 12-bit, damaged headers), which stays
 * with MuPDF's decoder.
 */
function jpegFrame(data: Uint8Array): JpegFrame | null {
  if (data.length < 4 || data[0] !== 0xff || data[1] !== 0xd8) return null;
  let jfif = false;
  let adobeTransform: number | null = null;
  let frame: { width: number; height: number; ids: number[] } | null = null;
  let o = 2;
  while (o + 4 <= data.length) {
    if (data[o] !== 0xff) return null;
    const marker = data[o + 1];
    if (marker === 0xff) {
      o++;
      continue;
    }
    const len = (data[o + 2] << 8) | data[o + 3];
    const body = o + 4;
    const end = o + 2 + len;
    if (len < 2 || end > data.length) return null;
    const text = (at: number, s: string): boolean => end - at >= s.length && s.split('').every((c, i) => data[at + i] === c.charCodeAt(0));
    if (marker === 0xe0 && text(body, 'JFIF\0')) jfif = true;
    if (marker === 0xee && text(body, 'Adobe') && end - body >= 12) adobeTransform = data[body + 11];
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      // SOF0 baseline, SOF1 extended and SOF2 progressive, Huffman-coded, 8 bits: what both decoders share.
      if (marker > 0xc2 || len < 8 || data[body] !== 8) return null;
      const count = data[body + 5];
      if (len < 8 + 3 * count) return null;
      const ids = Array.from({ length: count }, (_, i) => data[body + 6 + 3 * i]);
      frame = { height: (data[body + 1] << 8) | data[body + 2], width: (data[body + 3] << 8) | data[body + 4], ids };
    }
    if (marker === 0xda) {
      if (!frame) return null;
      const components = frame.ids.length;
      // MuPDF: three components are YCbCr unless an Adobe marker says otherwise. libjpeg-turbo: a
      // JFIF marker means YCbCr, then the Adobe marker decides, then component ids R, G, B mean RGB.
      const ycc = adobeTransform === null ? true : adobeTransform !== 0;
      const rgbIds = frame.ids.join() === '82,71,66';
      const yccForTurbo = jfif ? true : adobeTransform !== null ? adobeTransform !== 0 : !rgbIds;
      return { width: frame.width, height: frame.height, components, ycc, yccForTurbo };
    }
    o = end;
  }
  return null;
}

/**
 * Starts decoding the JPEG data of a PDF image with libjpeg-turbo, as MuPDF would decode it: the
 * stored samples exactly as they are (no EXIF turn, which PDF ignores; no colour profile),
 * checked against what the PDF says (`width`, `height`, `components`) before a byte is decoded.
 * The work is handed to libuv's threads before this returns, so the caller can do its own
 * meanwhile. Null, or a promise of null, when the picture might differ from MuPDF's reading of
 * it (CMYK and YCCK, 12-bit, a component layout the decoders guess differently) or when
 * libjpeg-turbo reports any problem: MuPDF then decodes it as before.
 */
export function startPdfJpegDecode(sharp: Sharp, data: Uint8Array, width: number, height: number, components: 1 | 3): Promise<Picture | null> | null {
  const frame = jpegFrame(data);
  if (!frame || frame.width !== width || frame.height !== height || frame.components !== components) return null;
  if (components === 3 && frame.ycc !== frame.yccForTurbo) return null;
  try {
    const image = sharp(data, { limitInputPixels: width * height, failOn: 'warning', ignoreIcc: true, autoOrient: false, sequentialRead: true });
    // sharp widens grey to RGB on output unless told to keep it (the band copied, nothing computed).
    if (components === 1) image.toColourspace('b-w');
    return image
      .raw()
      .toBuffer({ resolveWithObject: true })
      .then(
        ({ data: samples, info }) =>
          info.width === width && info.height === height && info.channels === components && samples.length === width * height * components
            ? { width, height, channels: components, samples }
            : null,
        () => null,
      );
  } catch {
    return null;
  }
}
