import { finishGreyPage } from './kernels';
import { FAX_WIDTH } from './paper';
import { bitmapPng, encodeGreyPng } from './png';

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
  const { g4, previewRows, thumbnail } = finishGreyPage(grey, FAX_WIDTH, rows);
  return {
    width: FAX_WIDTH,
    height: rows,
    g4,
    preview: bitmapPng(FAX_WIDTH, rows, previewRows),
    thumbnail: encodeGreyPng(thumbnail.pixels, thumbnail.width, thumbnail.height),
    blackRatio: thumbnail.blackPixels / (FAX_WIDTH * rows),
  };
}
