import type * as MupdfModule from 'mupdf' with { 'resolution-mode': 'import' };

/** The MuPDF module (ESM-only, WebAssembly): loaded once per conversion child process with import(). */
export type Mupdf = typeof MupdfModule;

let loading: Promise<Mupdf> | null = null;

export function loadMupdf(): Promise<Mupdf> {
  loading ??= import('mupdf').then((mupdf) => {
    // Colour management (ICC transforms through lcms2) took a third of the time of a colour
    // photo; a 1-bit fax page has no use for its precision, plain device conversion suffices.
    mupdf.disableICC();
    return mupdf;
  });
  return loading;
}

/** Bytes of MuPDF's heap this thread has already written, so reserveHeap does it once per size. */
let touched = 0;

/**
 * Grows MuPDF's WebAssembly heap to hold `bytes` more and writes every page of it once, then
 * frees it for MuPDF's next allocations. A fresh process's heap is small, and memory taken from
 * the system the first time costs a page fault per 4 KB (about 25 ms for what a 12-megapixel
 * photo needs); called while this thread only waits for libjpeg-turbo on another core, that
 * cost leaves the photo's path. The memory stays with the process (WebAssembly memory never
 * shrinks), as it would once the photo was drawn anyway.
 */
export function reserveHeap(mupdf: Mupdf, bytes: number): void {
  if (bytes <= touched) return;
  touched = bytes;
  try {
    const pixmap = new mupdf.Pixmap(mupdf.ColorSpace.DeviceGray, [0, 0, 4096, Math.ceil(bytes / 4096)], false);
    try {
      pixmap.clear(0);
    } finally {
      pixmap.destroy();
    }
  } catch {
    // Only a head start: without it the heap grows when MuPDF needs the memory, or MuPDF reports that it cannot.
  }
}
