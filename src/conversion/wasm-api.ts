// The WebAssembly API of Node, as far as the conversion uses it: the project's type libraries
// leave it out (it comes with the DOM typings).

/** A compiled module: shareable between threads (posted as is), instantiated any number of times. */
export interface WasmModule {
  readonly compiled: unique symbol;
}

export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}

export interface WasmInstance {
  readonly exports: object;
}

export type WasmImports = Record<string, Record<string, unknown>>;

interface WasmApi {
  Module: new (bytes: Uint8Array) => WasmModule;
  Instance: new (module: WasmModule, imports: WasmImports) => WasmInstance;
  Memory: abstract new (...args: never[]) => WasmMemory;
  compile(bytes: Uint8Array): Promise<WasmModule>;
  instantiate(module: WasmModule, imports: WasmImports): Promise<WasmInstance>;
}

export const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
