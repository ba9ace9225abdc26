import fs from 'node:fs';
import { asConversionError } from '../errors';
import type { Mupdf } from '../mupdf';
import type { PageSource } from '../page-source';
import { IMAGE_MARGIN_PT } from './image';

/**
 * Decodes a WebP image with libwebp (WebAssembly, @jsquash/webp; MuPDF has no WebP reader)
 * and flattens it onto white as grey, once per document: every rendering thread then draws
 * the same grey picture.
 */
export async function decodeWebp(data: Uint8Array): Promise<{ width: number; height: number; grey: Uint8Array }> {
  let decoded: { width: number; height: number; data: Uint8ClampedArray };
  try {
    const codec = await import('@jsquash/webp/decode.js');
    // The package fetches its .wasm by URL, which Node cannot do for files: hand it the bytes.
    const wasmBinary = fs.readFileSync(require.resolve('@jsquash/webp/codec/dec/webp_dec.wasm'));
    await codec.init({ wasmBinary } as Parameters<typeof codec.init>[0]);
    // Typed by the package as the browser's ImageData, which Node's type library lacks.
    const image: unknown = await codec.default(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer);
    decoded = image as typeof decoded;
  } catch (err) {
    throw asConversionError(err, 'decoding WebP');
  }
  const { width, height, data: rgba } = decoded;
  const grey = new Uint8Array(width * height);
  for (let i = 0, o = 0; o < grey.length; i += 4, o++) {
    const lum = (rgba[i] * 299 + rgba[i + 1] * 587 + rgba[i + 2] * 114) / 1000;
    const a = rgba[i + 3] / 255;
    grey[o] = Math.round(lum * a + 255 * (1 - a));
  }
  return { width, height, grey };
}

/** A decoded grey picture as a one-page source, placed like any other picture. */
export function greyImagePages(mupdf: Mupdf, width: number, height: number, grey: Uint8Array): PageSource {
  const pixmap = new mupdf.Pixmap(mupdf.ColorSpace.DeviceGray, [0, 0, width, height], false);
  const px = pixmap.getPixels();
  const stride = pixmap.getStride();
  for (let y = 0; y < height; y++) px.set(grey.subarray(y * width, (y + 1) * width), y * stride);
  const image = new mupdf.Image(pixmap);
  pixmap.destroy();
  return {
    count: 1,
    load: () => ({
      bounds: [0, 0, width, height],
      kind: 'image',
      marginPt: IMAGE_MARGIN_PT,
      pixels: { width, height },
      // An image fills the unit square; stretch it to its pixel size, then place it.
      draw: (device, ctm) => device.fillImage(image, mupdf.Matrix.concat([width, 0, 0, height, 0, 0], ctm as [number, number, number, number, number, number]), 1),
      destroy: () => undefined,
    }),
    close: () => image.destroy(),
  };
}
