import type * as MupdfModule from 'mupdf' with { 'resolution-mode': 'import' };

/** The MuPDF module (ESM-only, WebAssembly): loaded once per conversion child process with import(). */
export type Mupdf = typeof MupdfModule;

let loading: Promise<Mupdf> | null = null;

export function loadMupdf(): Promise<Mupdf> {
  loading ??= import('mupdf');
  return loading;
}
