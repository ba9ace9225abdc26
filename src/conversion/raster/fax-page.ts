import { ditherAndEncodeG4 } from './kernels';
import { FAX_WIDTH } from './paper';
import { encodeBitmapPng, encodeGreyPng } from './png';
import { thumbnailPixels } from './thumbnail';

/** Everything produced from one rendered page. */
export interface FaxPageOutput {
  width: number;
  height: number;
  g4: Uint8Array;
  preview: Buffer;
  thumbnail: Buffer;
  blackRatio: number;
}

/** From a grey fax-sized page to the transmitted bitmap (as G4), its preview PNG and thumbnail. */
export function finishPage(grey: Uint8Array, rows: number): FaxPageOutput {
  const { bitmap, g4 } = ditherAndEncodeG4(grey, FAX_WIDTH, rows);
  const thumb = thumbnailPixels(bitmap);
  return {
    width: FAX_WIDTH,
    height: rows,
    g4,
    preview: encodeBitmapPng(bitmap),
    thumbnail: encodeGreyPng(thumb.pixels, thumb.width, thumb.height),
    blackRatio: thumb.blackPixels / (bitmap.width * bitmap.height),
  };
}
