import fs from 'node:fs';
import { asConversionError } from '../errors';
import type { Mupdf } from '../mupdf';
import type { PageSource } from '../page-source';
import { IMAGE_MARGIN_PT } from './image';

/**
 * Decodes a WebP image with libwebp (WebAssembly, @jsquash/webp; MuPDF has no WebP reader),
 * flattens it onto white as grey and hands it to MuPDF as an image to place like any other.
 */
export async function openWebp(mupdf: Mupdf, data: Uint8Array): Promise<PageSource> {
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
  const pixmap = new mupdf.Pixmap(mupdf.ColorSpace.DeviceGray, [0, 0, width, height], false);
  const px = pixmap.getPixels();
  const stride = pixmap.getStride();
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 4;
      const lum = (rgba[i] * 299 + rgba[i + 1] * 587 + rgba[i + 2] * 114) / 1000;
      const a = rgba[i + 3] / 255;
      px[y * stride + x] = Math.round(lum * a + 255 * (1 - a));
    }
  }
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
