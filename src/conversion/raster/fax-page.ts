import { finishGreyPage, finishGreyPageShared, type FinishedPage, type G4Helper } from './kernels';
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

/**
 * From a grey fax-sized page to the transmitted bitmap (as G4), its preview PNG and thumbnail.
 * With a `helper` (an idle thread), half of the G4 code is made there. The grey page is read
 * before this returns to the event loop: it may be a view into memory that moves later.
 */
export async function finishPage(grey: Uint8Array, rows: number, helper?: G4Helper): Promise<FaxPageOutput> {
  return pageOutput(helper ? await finishGreyPageShared(grey, FAX_WIDTH, rows, helper) : finishGreyPage(grey, FAX_WIDTH, rows), rows);
}

function pageOutput({ g4, previewRows, thumbnail }: FinishedPage, rows: number): FaxPageOutput {
  return {
    width: FAX_WIDTH,
    height: rows,
    g4,
    preview: bitmapPng(FAX_WIDTH, rows, previewRows),
    thumbnail: encodeGreyPng(thumbnail.pixels, thumbnail.width, thumbnail.height),
    blackRatio: thumbnail.blackPixels / (FAX_WIDTH * rows),
  };
}
