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
