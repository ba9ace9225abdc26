import type { GreyPicture } from '../page-source';

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
 * Decodes a JPEG to grey with libjpeg-turbo (through sharp), turned upright by its EXIF
 * orientation as MuPDF turns it. A large photo's decoding is most of its conversion time, and
 * MuPDF's decoder (WebAssembly) takes about half as long again. Grey is the luma MuPDF's own
 * RGB to grey conversion computes, so the page looks the same either way. Returns null when
 * sharp cannot decode the file: MuPDF then decodes it and decides whether it is damaged.
 */
export async function decodeJpegGrey(data: Uint8Array, maxPixels: number): Promise<GreyPicture | null> {
  const sharp = await loadSharp();
  if (!sharp) return null;
  let decoded: { data: Buffer; info: { width: number; height: number; channels: number } };
  try {
    decoded = await sharp(data, { limitInputPixels: maxPixels, failOn: 'error' }).rotate().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  } catch {
    return null;
  }
  const { data: rgb, info } = decoded;
  if (info.channels !== 3) return null;
  const grey = new Uint8Array(info.width * info.height);
  for (let i = 0, o = 0; o < grey.length; i += 3, o++) grey[o] = ((rgb[i] + 1) * 77 + (rgb[i + 1] + 1) * 150 + (rgb[i + 2] + 1) * 28) >> 8;
  return { width: info.width, height: info.height, grey };
}
