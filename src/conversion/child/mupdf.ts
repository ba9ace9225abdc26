import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type * as MupdfModule from 'mupdf' with { 'resolution-mode': 'import' };
import { wasm, type WasmImports, type WasmInstance, type WasmModule } from '../wasm-api';

/** The MuPDF API (MuPDF.js over its WebAssembly build): one instance per document and thread. */
export type Mupdf = typeof MupdfModule;

/** What every instance is made from: compiled or read once per process. */
export interface CompiledMupdf {
  /** The compiled WebAssembly: its machine code (and what V8 optimised of it) serves every instance. */
  wasm: WasmModule;
  /** mupdf.js, MuPDF's JavaScript API, as source text (see makeInstance). */
  glue: string;
}

const DIST = path.dirname(require.resolve('mupdf'));
/** Argument names of the API's function; no name of mupdf.js's own begins with `$durafax`. */
const FACTORY = '$durafax_factory';
const NODE_FS = '$durafax_fs';
const MODULE_ARG = '$durafax_module';

let compiling: Promise<CompiledMupdf> | null = null;

/** Compiles MuPDF's WebAssembly (lazily: functions are compiled when first called) and reads its API's source. */
export function compileMupdf(): Promise<CompiledMupdf> {
  compiling ??= (async () => ({
    wasm: await wasm.compile(await fs.promises.readFile(path.join(DIST, 'mupdf-wasm.wasm'))),
    glue: await fs.promises.readFile(path.join(DIST, 'mupdf.js'), 'utf8'),
  }))();
  return compiling;
}

/** A rendering thread gets the process's compilation instead of making its own: the same compiled code for all. */
export function useCompiledMupdf(compiled: CompiledMupdf): void {
  compiling = Promise.resolve(compiled);
}

type ApiFactory = (factory: unknown, nodeFs: typeof fs, moduleArg: object) => Promise<Mupdf>;
const AsyncFunction = (async () => undefined).constructor as new (...args: string[]) => ApiFactory;

/**
 * mupdf.js is an ES module that instantiates the WebAssembly once, at its evaluation, and keeps
 * the instance in module-level constants; an ES module is evaluated once per thread. To get a
 * new instance per document, its source becomes the body of a function of the instance's
 * factory, evaluated once per document: the import and the `export` keywords go, the exported
 * names are returned. Each edit must match exactly, or the installed mupdf has changed shape.
 */
function apiFactory(glue: string): ApiFactory {
  let body = glue;
  const replace = (from: string, to: string): void => {
    if (body.split(from).length !== 2) throw new Error(`mupdf.js is not as expected (${from}): check the mupdf package version`);
    body = body.replace(from, to);
  };
  replace('import libmupdf_wasm from "./mupdf-wasm.js";', `const libmupdf_wasm = ${FACTORY};`);
  replace('node_fs = await import("node:fs");', `node_fs = ${NODE_FS};`);
  replace('await libmupdf_wasm(globalThis["$libmupdf_wasm_Module"])', `await libmupdf_wasm(${MODULE_ARG})`);
  replace('export default {', 'const $durafax_default = {');
  const names: string[] = [];
  body = body.replace(/^export (class|function|const|let|var) ([\w$]+)/gm, (_whole, kind: string, name: string) => {
    names.push(name);
    return `${kind} ${name}`;
  });
  if (/^\s*export\b/m.test(body)) throw new Error('mupdf.js exports in a way this loader does not know: check the mupdf package version');
  return new AsyncFunction(FACTORY, NODE_FS, MODULE_ARG, `${body}\nreturn { ${names.join(', ')}, default: $durafax_default };`);
}

let factories: { api: ApiFactory; emscripten: unknown } | null = null;
/** Each instance's Emscripten module object, which holds its memory's current view. */
const modules = new WeakMap<Mupdf, { HEAPU8?: Uint8Array }>();

/** The instance's linear memory as it is now (it grows, and a grown memory is a new buffer). */
export function mupdfMemory(mupdf: Mupdf): ArrayBuffer {
  const heap = modules.get(mupdf)?.HEAPU8;
  if (!heap) throw new Error('not an instance made by newMupdf()');
  return heap.buffer as ArrayBuffer;
}

/**
 * A new MuPDF instance: new linear memory (nothing of an earlier document is in it), made
 * from the compiled module in a few milliseconds instead of compiling it again. Only one
 * instance per thread may be in use at a time: MuPDF's callbacks (its log, for one) go through
 * globals the latest instance sets.
 */
export async function newMupdf(): Promise<Mupdf> {
  const compiled = await compileMupdf();
  if (!factories) {
    // The Emscripten loader is a plain factory function: one import serves every instance.
    const loader = (await import(pathToFileURL(path.join(DIST, 'mupdf-wasm.js')).href)) as { default: unknown };
    factories = { api: apiFactory(compiled.glue), emscripten: loader.default };
  }
  const moduleArg: { HEAPU8?: Uint8Array; instantiateWasm(imports: WasmImports, done: (instance: WasmInstance, module: WasmModule) => void): object } = {
    instantiateWasm(imports: WasmImports, done: (instance: WasmInstance, module: WasmModule) => void): object {
      void wasm.instantiate(compiled.wasm, imports).then((instance) => done(instance, compiled.wasm));
      return {};
    },
  };
  const mupdf = await factories.api(factories.emscripten, fs, moduleArg);
  modules.set(mupdf, moduleArg);
  // Colour management (ICC transforms through lcms2) took a third of the time of a colour
  // photo; a 1-bit fax page has no use for its precision, plain device conversion suffices.
  mupdf.disableICC();
  return mupdf;
}

/** This thread's instance for the current document, made at its first use. */
let current: Promise<Mupdf> | null = null;

/** The MuPDF instance of the document this thread is working on (a new one after each forgetMupdf()). */
export function loadMupdf(): Promise<Mupdf> {
  current ??= newMupdf();
  return current;
}

/** Forgets this thread's instance: the next document gets a new one, and the old memory goes with the garbage. */
export function forgetMupdf(): void {
  current = null;
}

/**
 * Collects this thread's garbage now, where the process was started with --expose-gc: a
 * forgotten instance's linear memory (tens to hundreds of MB after a photo) is freed when its
 * memory object is collected, and V8 would otherwise do that at a time of its choosing, while
 * the next document is converted (on top of its memory, and under its memory budget) or long
 * after the last one.
 */
export function collectGarbage(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

/** Bytes of each instance's heap already written, so reserveHeap does it once per size. */
const touched = new WeakMap<Mupdf, number>();

/**
 * Grows MuPDF's WebAssembly heap to hold `bytes` more and writes every page of it once, then
 * frees it for MuPDF's next allocations. A fresh instance's heap is small, and memory taken
 * from the system the first time costs a page fault per 4 KB (about 25 ms for what a
 * 12-megapixel photo needs); called while this thread only waits for libjpeg-turbo on another
 * core, that cost leaves the photo's path. The memory stays with the instance (WebAssembly
 * memory never shrinks), as it would once the photo was drawn anyway.
 */
export function reserveHeap(mupdf: Mupdf, bytes: number): void {
  if (bytes <= (touched.get(mupdf) ?? 0)) return;
  touched.set(mupdf, bytes);
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
