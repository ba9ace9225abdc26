import type { Picture } from '../page-source';

type Sharp = typeof import('sharp');

let loading: Promise<Sharp | null> | null = null;

/** sharp (libvips), loaded once; null where its native library cannot load. */
function loadSharp(): Promise<Sharp | null> {
  loading ??= import('sharp').then(
    (module) => {
      const sharp = module.default;
      // One document per process, and decoded pixels must not outlive it in a cache.
      sharp.cache(false);
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
 */
export async function decodeJpeg(data: Uint8Array, maxPixels: number): Promise<Picture | null> {
  const sharp = await loadSharp();
  if (!sharp) return null;
  try {
    const { data: samples, info } = await sharp(data, { limitInputPixels: maxPixels, failOn: 'error' }).rotate().raw().toBuffer({ resolveWithObject: true });
    if (info.channels !== 1 && info.channels !== 3) return null;
    return { width: info.width, height: info.height, channels: info.channels, samples };
  } catch {
    return null;
  }
}
