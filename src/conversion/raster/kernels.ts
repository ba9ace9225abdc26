import { createBitmap, type FaxBitmap } from './bitmap';
import { BLACK_TERMINATING, MODE, WHITE_TERMINATING, makeupTable, toCode } from './g4-codes';
import { FAX_KERNELS_WASM } from './kernels-wasm';
import { FAX_DPI_X, FAX_DPI_Y } from './paper';
import { wasm, type WasmMemory, type WasmModule } from '../wasm-api';

/**
 * The per-pixel passes of a fax page (grey to 1 bit, and the G4 encoder) run as WebAssembly
 * with SIMD, compiled from assembly/fax-kernels.ts, where the algorithms are described. This
 * module lays out the kernels' memory, writes their code tables and copies pages in and out.
 * One instance per thread and document (worker threads load their own copy of this module).
 */

interface KernelExports {
  memory: WasmMemory;
  heapBase(): number;
  setTables(...args: number[]): void;
  dither(grey: number, width: number, height: number, out: number, rowBytes: number, errA: number, errB: number, scratch: number): void;
  findChanges(row: number, rowBytes: number, width: number, out: number): number;
  encodeG4(bitmap: number, width: number, height: number, rowBytes: number, out: number, changesA: number, changesB: number, reference: number, last: number): number;
  thumbnail(bitmap: number, rowBytes: number, rows: number, rowsPer: number, height: number, out: number, sums: number): number;
  setDeflateTables(literalBits: number, literalLengths: number, matchBits: number, matchLengths: number): void;
  deflateRows(bitmap: number, rowBytes: number, height: number, out: number, rowDistanceBits: number, rowDistanceLength: number): number;
}

/** A grey image of a page, each pixel one byte column of the bitmap; 0 = black. */
export interface Thumbnail {
  pixels: Uint8Array;
  width: number;
  height: number;
  /** Black pixels of the whole bitmap, counted on the way. */
  blackPixels: number;
}

/** Part of a G4 code: its bytes, the last one padded with zero bits, and its length in bits. */
export interface G4Part {
  data: Uint8Array;
  bits: number;
}

/**
 * Codes rows of a page on another thread: `rows` (packed), coded against `reference` (the row
 * above them), ending the page's code. Resolves with the part's bits.
 */
export type G4Helper = (rows: Uint8Array, reference: Uint8Array, width: number, height: number) => Promise<G4Part>;

/** Everything a fax page needs from its grey rendering. */
export interface FinishedPage {
  g4: Uint8Array;
  /** The zlib stream of the 1-bit preview's PNG rows (filter byte 0 and the packed pixels). */
  previewRows: Uint8Array;
  thumbnail: Thumbnail;
}

/**
 * Tone curve applied before diffusion: paper-white scans (≥ 235) become pure white and
 * near-black (≤ 20) pure black, so backgrounds do not turn into scattered dots; mid-tones
 * keep their value (50 % grey stays 50 %).
 */
function toneCurve(): Uint8Array {
  const lut = new Uint8Array(256);
  for (let v = 0; v < 256; v++) lut[v] = Math.max(0, Math.min(255, Math.round(((v - 20) * 255) / 215)));
  return lut;
}

const LONGEST_MAKEUP = 2560;
/** Runs up to this length are one precomputed code word (make-up + terminating, ≤ 25 bits). */
const TABLE_RUNS = LONGEST_MAKEUP + 64;

/** Code words for every run length of one colour, make-up and terminating code joined. */
function runTable(color: 'white' | 'black'): { bits: Uint32Array; lengths: Uint8Array } {
  const term = (color === 'white' ? WHITE_TERMINATING : BLACK_TERMINATING).map(toCode);
  const makeup = makeupTable(color);
  const bits = new Uint32Array(TABLE_RUNS);
  const lengths = new Uint8Array(TABLE_RUNS);
  for (let run = 0; run < TABLE_RUNS; run++) {
    const m = makeup[run >> 6];
    const t = term[run & 63];
    bits[run] = (m.bits << t.length) | t.bits;
    lengths[run] = m.length + t.length;
  }
  return { bits, lengths };
}

/**
 * Colour changes inside one byte, for every byte value read as if the pixel before it were
 * white (a byte after a black pixel is looked up inverted): how many, and their bit positions
 * (0 = leftmost), eight slots per value.
 */
function byteChanges(): { count: Uint8Array; at: Uint8Array } {
  const count = new Uint8Array(256);
  const at = new Uint8Array(256 * 8);
  for (let v = 0; v < 256; v++) {
    let previous = 0;
    for (let bit = 0; bit < 8; bit++) {
      const pixel = (v >> (7 - bit)) & 1;
      if (pixel !== previous) at[v * 8 + count[v]++] = bit;
      previous = pixel;
    }
  }
  return { count, at };
}

/** `length` low bits of `code`, in reverse order: deflate sends Huffman codes from their first bit. */
function reverseBits(code: number, length: number): number {
  let out = 0;
  for (let i = 0; i < length; i++) out |= ((code >> i) & 1) << (length - 1 - i);
  return out;
}

/**
 * Deflate's fixed Huffman codes (RFC 1951 §3.2.6), ready for an LSB-first bit writer: the
 * literal/length symbols, and every match length 3..258 as its symbol's code with the extra
 * bits after it.
 */
function deflateTables(): { literalBits: Uint32Array; literalLengths: Uint8Array; matchBits: Uint32Array; matchLengths: Uint8Array } {
  const literalBits = new Uint32Array(288);
  const literalLengths = new Uint8Array(288);
  for (let sym = 0; sym < 288; sym++) {
    const [first, base, length] = sym < 144 ? [0, 0x30, 8] : sym < 256 ? [144, 0x190, 9] : sym < 280 ? [256, 0, 7] : [280, 0xc0, 8];
    literalBits[sym] = reverseBits(base + sym - first, length);
    literalLengths[sym] = length;
  }
  const matchBits = new Uint32Array(259);
  const matchLengths = new Uint8Array(259);
  // Length symbols 257..284: four per count of extra bits from 1 up; 285 is 258 exactly.
  let sym = 257;
  let from = 3;
  const symbols: Array<{ sym: number; from: number; extra: number }> = [];
  for (let extra = 0; extra <= 5; extra++) {
    for (let k = 0; k < (extra === 0 ? 8 : 4); k++) {
      symbols.push({ sym, from, extra });
      from += 1 << extra;
      sym++;
    }
  }
  for (let length = 3; length <= 258; length++) {
    const s = length === 258 ? { sym: 285, from: 258, extra: 0 } : symbols.filter((x) => x.from <= length).at(-1);
    if (!s) throw new Error('no length symbol');
    const huffLength = literalLengths[s.sym];
    matchBits[length] = literalBits[s.sym] | ((length - s.from) << huffLength);
    matchLengths[length] = huffLength + s.extra;
  }
  return { literalBits, literalLengths, matchBits, matchLengths };
}

/** A distance's fixed code (5 bits, reversed) with its extra bits after it. */
function distanceCode(distance: number): { bits: number; length: number } {
  let code = 0;
  let from = 1;
  for (;;) {
    const extra = code < 4 ? 0 : (code >> 1) - 1;
    if (distance < from + (1 << extra)) return { bits: reverseBits(code, 5) | ((distance - from) << 5), length: 5 + extra };
    from += 1 << extra;
    code++;
  }
}

const align = (n: number): number => (n + 15) & ~15;
/** Bitmap rows per thumbnail row: thumbnail pixels are one byte column wide, and square. */
const THUMBNAIL_ROWS_PER = (8 * FAX_DPI_Y) / FAX_DPI_X;
const PAGE = 65536;

/** The code tables the kernels look up, in the order setTables() and setDeflateTables() take their addresses. */
function codeTables(): { tables: Uint8Array[]; codes: number[] } {
  const white = runTable('white');
  const black = runTable('black');
  const vertical = MODE.vertical.map(toCode);
  const changes = byteChanges();
  const deflate = deflateTables();
  const pass = toCode(MODE.pass);
  const horizontal = toCode(MODE.horizontal);
  // The 2560 make-up code is one of the extended codes both colours share.
  const longest = makeupTable('white')[LONGEST_MAKEUP >> 6];
  const tables: Uint8Array[] = [
    toneCurve(),
    new Uint8Array(white.bits.buffer),
    white.lengths,
    new Uint8Array(black.bits.buffer),
    black.lengths,
    new Uint8Array(Uint32Array.from(vertical, (c) => c.bits).buffer),
    Uint8Array.from(vertical, (c) => c.length),
    changes.count,
    changes.at,
    new Uint8Array(deflate.literalBits.buffer),
    deflate.literalLengths,
    new Uint8Array(deflate.matchBits.buffer),
    deflate.matchLengths,
  ];
  return { tables, codes: [pass.bits, pass.length, horizontal.bits, horizontal.length, longest.bits, longest.length, TABLE_RUNS, LONGEST_MAKEUP] };
}

/** Compiled and computed once per thread; each instance (one per document) gets its own memory. */
let prepared: { module: WasmModule; tables: Uint8Array[]; codes: number[] } | null = null;

/** The kernels in one instance of the module. */
class FaxKernels {
  private readonly k: KernelExports;
  /** First address of the per-call work area, after the tables. */
  private readonly work: number;

  constructor() {
    prepared ??= { module: new wasm.Module(Buffer.from(FAX_KERNELS_WASM, 'base64')), ...codeTables() };
    const { module, tables, codes } = prepared;
    this.k = new wasm.Instance(module, {}).exports as KernelExports;
    let at = align(this.k.heapBase());
    const addresses: number[] = [];
    for (const table of tables) {
      addresses.push(at);
      at = align(at + table.length);
    }
    this.ensure(at);
    const memory = new Uint8Array(this.k.memory.buffer);
    tables.forEach((table, i) => memory.set(table, addresses[i]));
    const [literalBits, literalLengths, matchBits, matchLengths] = addresses.slice(9);
    this.k.setDeflateTables(literalBits, literalLengths, matchBits, matchLengths);
    this.k.setTables(...addresses.slice(0, 9), ...codes);
    this.work = at;
  }

  /** Grows the memory so that addresses below `end` exist. */
  private ensure(end: number): void {
    const have = this.k.memory.buffer.byteLength;
    if (end > have) this.k.memory.grow(Math.ceil((end - have) / PAGE));
  }

  private bytes(): Uint8Array {
    return new Uint8Array(this.k.memory.buffer);
  }

  /** Dithers a grey page into the work area; returns where the bitmap is. */
  private ditherResident(grey: Uint8Array, width: number, height: number): { bitmap: number; end: number } {
    const size = width * height;
    if (grey.length < size) throw new RangeError('grey buffer smaller than width × height');
    const rowBytes = (width + 7) >> 3;
    // 16 bytes each side of the page: the kernel's neighbour loads may reach there.
    const page = this.work + 16;
    const bitmap = align(page + size + 16);
    const errA = align(bitmap + rowBytes * height);
    const errB = align(errA + (width + 2) * 4);
    const scratch = align(errB + (width + 2) * 4);
    const end = scratch + 32;
    this.ensure(end);
    this.bytes().set(grey.subarray(0, size), page);
    this.k.dither(page, width, height, bitmap, rowBytes, errA, errB, scratch);
    return { bitmap, end };
  }

  /** Codes `height` rows at `bitmap` (against the row at `reference`, 0 for white), ending the code with EOFB when `last`. */
  private encodeResident(bitmap: number, width: number, height: number, from: number, reference = 0, last = true): G4Part {
    const rowBytes = (width + 7) >> 3;
    const changesA = align(from);
    const changesB = align(changesA + (width + 4) * 4);
    const out = align(changesB + (width + 4) * 4);
    // Worst case: every pixel a change coded with a run of up to 25 bits, plus EOFB.
    this.ensure(out + height * (4 * width + 16) + 16);
    const bits = this.k.encodeG4(bitmap, width, height, rowBytes, out, changesA, changesB, reference, last ? 1 : 0);
    return { data: this.bytes().slice(out, out + Math.ceil(bits / 8)), bits };
  }

  private thumbnailResident(bitmap: number, width: number, rows: number, from: number): Thumbnail {
    const rowBytes = (width + 7) >> 3;
    const height = Math.max(1, Math.round(rows / THUMBNAIL_ROWS_PER));
    const sums = align(from);
    const out = align(sums + rowBytes * 4);
    this.ensure(out + rowBytes * height);
    const blackPixels = this.k.thumbnail(bitmap, rowBytes, rows, THUMBNAIL_ROWS_PER, height, out, sums);
    return { pixels: this.bytes().slice(out, out + rowBytes * height), width: rowBytes, height, blackPixels };
  }

  private deflateResident(bitmap: number, width: number, height: number, from: number): Uint8Array {
    const rowBytes = (width + 7) >> 3;
    const out = align(from);
    // Literals take at most 9 bits a byte; the header, the end code and the checksum a few bytes.
    this.ensure(out + Math.ceil(((rowBytes + 1) * height * 9) / 8) + 64);
    const distance = distanceCode(rowBytes + 1);
    const length = this.k.deflateRows(bitmap, rowBytes, height, out, distance.bits, distance.length);
    return this.bytes().slice(out, out + length);
  }

  /** Copies a bitmap into the work area; returns where it is and where free room starts. */
  private loadBitmap(bitmap: FaxBitmap): { at: number; end: number } {
    const at = align(this.work);
    const size = bitmap.rowBytes * bitmap.height;
    this.ensure(at + size);
    this.bytes().set(bitmap.data.subarray(0, size), at);
    return { at, end: at + size };
  }

  finish(grey: Uint8Array, width: number, height: number): FinishedPage {
    const { bitmap, end } = this.ditherResident(grey, width, height);
    // Each result is copied out before the next step can grow (and so move) the memory.
    const g4 = this.encodeResident(bitmap, width, height, end).data;
    const previewRows = this.deflateResident(bitmap, width, height, end);
    const thumbnail = this.thumbnailResident(bitmap, width, height, end);
    return { g4, previewRows, thumbnail };
  }

  /**
   * As finish(), with the lower half of the G4 code made by `helper` on another thread while
   * this one codes the upper half, the preview rows and the thumbnail. If the helper fails,
   * this thread codes that half too.
   */
  async finishShared(grey: Uint8Array, width: number, height: number, helper: G4Helper): Promise<FinishedPage> {
    // Halves need a row each.
    if (height < 2) return this.finish(grey, width, height);
    const { bitmap, end } = this.ditherResident(grey, width, height);
    const rowBytes = (width + 7) >> 3;
    const upper = height >> 1;
    const lowerAt = bitmap + upper * rowBytes;
    const bytes = this.bytes();
    const lowerRows = bytes.slice(lowerAt, bitmap + height * rowBytes);
    const reference = bytes.slice(lowerAt - rowBytes, lowerAt);
    const lowerPart = helper(lowerRows, reference, width, height - upper);
    // Settled here even if this thread fails first, so no rejection goes unhandled.
    const lowerOutcome = lowerPart.then(
      (part) => part,
      () => null,
    );
    const top = this.encodeResident(bitmap, width, upper, end, 0, false);
    const previewRows = this.deflateResident(bitmap, width, height, end);
    const thumbnail = this.thumbnailResident(bitmap, width, height, end);
    // The helper may have taken the copies (moved to its thread): the bitmap is still here
    // (a thread finishes one page at a time, so nothing used these kernels meanwhile).
    const lower = (await lowerOutcome) ?? this.encodeResident(lowerAt, width, height - upper, end, lowerAt - rowBytes, true);
    return { g4: joinG4(top, lower), previewRows, thumbnail };
  }

  /** Codes packed rows given as bytes against a reference row (null: white). */
  encodeRows(rows: Uint8Array, width: number, height: number, reference: Uint8Array | null, last: boolean): G4Part {
    const rowBytes = (width + 7) >> 3;
    const ref = align(this.work);
    const at = align(ref + rowBytes);
    const size = rowBytes * height;
    this.ensure(at + size);
    const bytes = this.bytes();
    if (reference) bytes.set(reference.subarray(0, rowBytes), ref);
    bytes.set(rows.subarray(0, size), at);
    return this.encodeResident(at, width, height, at + size, reference ? ref : 0, last);
  }

  thumbnail(bitmap: FaxBitmap): Thumbnail {
    const { at, end } = this.loadBitmap(bitmap);
    return this.thumbnailResident(at, bitmap.width, bitmap.height, end);
  }

  deflate(bitmap: FaxBitmap): Uint8Array {
    const { at, end } = this.loadBitmap(bitmap);
    return this.deflateResident(at, bitmap.width, bitmap.height, end);
  }

  dither(grey: Uint8Array, width: number, height: number): FaxBitmap {
    const { bitmap: at } = this.ditherResident(grey, width, height);
    const bitmap = createBitmap(width, height);
    bitmap.data.set(this.bytes().subarray(at, at + bitmap.data.length));
    return bitmap;
  }

  encode(bitmap: FaxBitmap): Uint8Array {
    const { at, end } = this.loadBitmap(bitmap);
    return this.encodeResident(at, bitmap.width, bitmap.height, end).data;
  }

  findChanges(data: Uint8Array, offset: number, rowBytes: number, width: number, out: Int32Array): number {
    const row = align(this.work);
    const changes = align(row + rowBytes);
    this.ensure(changes + (width + 4) * 4);
    this.bytes().set(data.subarray(offset, offset + rowBytes), row);
    const n = this.k.findChanges(row, rowBytes, width, changes);
    out.set(new Int32Array(this.k.memory.buffer, changes, n + 3));
    return n;
  }
}

let kernels: FaxKernels | null = null;
const instance = (): FaxKernels => (kernels ??= new FaxKernels());

/**
 * Forgets this thread's instance: the next page gets a new one, with memory in which no page
 * of an earlier document was ever written.
 */
export function forgetKernels(): void {
  kernels = null;
}

/**
 * Converts an 8-bit grey page (0 = black, row stride = width) into a 1-bit fax bitmap: edges
 * (text, rules) thresholded at their local midpoint so thin and light strokes stay solid,
 * flat areas error-diffused so grey and colour keep their tone.
 */
export function ditherToBitmap(grey: Uint8Array, width: number, height: number): FaxBitmap {
  return instance().dither(grey, width, height);
}

/**
 * Encodes a bitmap as ITU-T T.6 (CCITT Group 4): every row coded two-dimensionally against
 * the row above (an all-white row above the first), ending with EOFB. The result is the
 * strip of a TIFF with Compression 4 and the stream of a PDF /CCITTFaxDecode filter with /K -1.
 */
export function encodeG4(bitmap: FaxBitmap): Uint8Array {
  return instance().encode(bitmap);
}

/**
 * A grey page's G4 image, preview rows and thumbnail in one pass over the kernels' memory:
 * the bitmap never leaves it.
 */
export function finishGreyPage(grey: Uint8Array, width: number, height: number): FinishedPage {
  return instance().finish(grey, width, height);
}

/** finishGreyPage() with half of the G4 code made on another thread (see FaxKernels.finishShared). */
export function finishGreyPageShared(grey: Uint8Array, width: number, height: number, helper: G4Helper): Promise<FinishedPage> {
  return instance().finishShared(grey, width, height, helper);
}

/** Codes packed rows against a reference row (the row above them; null: white), ending the code with EOFB when `last`. */
export function encodeG4Rows(rows: Uint8Array, width: number, height: number, reference: Uint8Array | null, last: boolean): G4Part {
  return instance().encodeRows(rows, width, height, reference, last);
}

/** One G4 code from two parts: the bits of `second` follow those of `first` without a gap. */
export function joinG4(first: G4Part, second: G4Part): Uint8Array {
  const out = new Uint8Array(Math.ceil((first.bits + second.bits) / 8));
  const whole = first.bits >> 3;
  out.set(first.data.subarray(0, Math.ceil(first.bits / 8)));
  const shift = first.bits & 7;
  const length = Math.ceil(second.bits / 8);
  if (shift === 0) {
    out.set(second.data.subarray(0, length), whole);
    return out;
  }
  // The first part's last byte holds `shift` bits; the second part's bits continue in it.
  for (let i = 0; i < length; i++) {
    const b = second.data[i];
    out[whole + i] |= b >> shift;
    if (whole + i + 1 < out.length) out[whole + i + 1] = (b << (8 - shift)) & 0xff;
  }
  return out;
}

/**
 * A small grey image of a fax page: each thumbnail pixel averages one byte column (8 pixels
 * across) over the rows it covers, which also squares the 204×196 dpi pixels. Width is the
 * bitmap's row bytes (216 for a fax page). Counts the black pixels on the way.
 */
export function thumbnailPixels(bitmap: FaxBitmap): Thumbnail {
  return instance().thumbnail(bitmap);
}

/** The zlib stream of a bitmap's rows as a 1-bit PNG holds them (filter byte 0, then the packed pixels). */
export function deflateBitmapRows(bitmap: FaxBitmap): Uint8Array {
  return instance().deflate(bitmap);
}

/**
 * Positions of the changing elements of one packed row (pixels whose colour differs from the
 * pixel to their left; the row starts after an imaginary white pixel), followed by three
 * copies of the width as sentinels. Returns the number of real changes.
 */
export function findChanges(data: Uint8Array, offset: number, rowBytes: number, width: number, out: Int32Array): number {
  return instance().findChanges(data, offset, rowBytes, width, out);
}
