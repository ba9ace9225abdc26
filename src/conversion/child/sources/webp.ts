import fs from 'node:fs';
import { asConversionError } from '../errors';
import type { Picture } from '../page-source';
import { wasm, type WasmModule } from '../../wasm-api';

/** libwebp compiled, once per process: each document instantiates it anew. */
let compiled: Promise<WasmModule> | null = null;

/**
 * Decodes a WebP image with libwebp (WebAssembly, @jsquash/webp; MuPDF has no WebP reader)
 * and flattens it onto white as grey, once per document: every rendering thread then draws
 * the same grey picture.
 */
export async function decodeWebp(data: Uint8Array): Promise<Picture> {
  let decoded: { width: number; height: number; data: Uint8ClampedArray };
  try {
    const codec = await import('@jsquash/webp/decode.js');
    // The package fetches its .wasm by URL, which Node cannot do for files: the compiled module
    // is handed over instead. init() makes a new instance of it, with new memory, so nothing
    // of an earlier document's image is in the decoder's memory.
    compiled ??= fs.promises.readFile(require.resolve('@jsquash/webp/codec/dec/webp_dec.wasm')).then((bytes) => wasm.compile(bytes));
    await codec.init(await compiled);
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
  return { width, height, channels: 1, samples: grey };
}
