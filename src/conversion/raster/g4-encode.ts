import type { FaxBitmap } from './bitmap';
import { BLACK_TERMINATING, MODE, WHITE_TERMINATING, makeupTable, toCode } from './g4-codes';

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

const RUNS = [runTable('white'), runTable('black')];
const PASS = toCode(MODE.pass);
const HORIZONTAL = toCode(MODE.horizontal);
const VERTICAL = MODE.vertical.map(toCode);
const V_BITS = Uint32Array.from(VERTICAL, (c) => c.bits);
const V_LENGTHS = Uint8Array.from(VERTICAL, (c) => c.length);
const EOFB = toCode(MODE.eofb);

/** Appends code words of up to 25 bits, most significant bit first, to a growing byte buffer. */
class BitWriter {
  private buf: Uint8Array;
  private pos = 0;
  private acc = 0;
  private bits = 0;

  constructor(initialBytes: number) {
    this.buf = new Uint8Array(Math.max(64, initialBytes));
  }

  write(bits: number, length: number): void {
    // At most 7 pending bits plus a 25-bit code: the 32-bit accumulator holds them all.
    this.acc = (this.acc << length) | bits;
    this.bits += length;
    if (this.pos + 4 > this.buf.length) this.grow();
    while (this.bits >= 8) {
      this.bits -= 8;
      this.buf[this.pos++] = this.acc >>> this.bits;
    }
    this.acc &= (1 << this.bits) - 1;
  }

  /** Pads the last byte with zero bits and returns the written bytes. */
  finish(): Uint8Array {
    if (this.bits > 0) this.write(0, 8 - this.bits);
    return this.buf.subarray(0, this.pos);
  }

  private grow(): void {
    const bigger = new Uint8Array(this.buf.length * 2);
    bigger.set(this.buf);
    this.buf = bigger;
  }
}

function writeRun(w: BitWriter, run: number, color: number): void {
  const table = RUNS[color];
  while (run >= TABLE_RUNS) {
    // Only for rows wider than any fax: 2560 make-up codes until the rest fits the table.
    const m = makeupTable(color === 0 ? 'white' : 'black')[LONGEST_MAKEUP >> 6];
    w.write(m.bits, m.length);
    run -= LONGEST_MAKEUP;
  }
  w.write(table.bits[run], table.lengths[run]);
}

/**
 * Positions of the changing elements of one packed row (pixels whose colour differs from the
 * pixel to their left; the row starts after an imaginary white pixel), followed by three
 * copies of the width as sentinels. Returns the number of real changes.
 */
export function findChanges(data: Uint8Array, offset: number, rowBytes: number, width: number, out: Int32Array): number {
  let n = 0;
  let mask = 0; // 0x00 while the current colour is white, 0xff while black
  for (let i = 0; i < rowBytes; i++) {
    const byte = data[offset + i];
    let v = byte ^ mask;
    if (v === 0) continue;
    const base = i << 3;
    while (v !== 0) {
      const bit = Math.clz32(v) - 24;
      const pos = base + bit;
      if (pos >= width) break;
      out[n++] = pos;
      mask ^= 0xff;
      v = (byte ^ mask) & (0xff >> (bit + 1));
    }
  }
  out[n] = width;
  out[n + 1] = width;
  out[n + 2] = width;
  return n;
}

/**
 * Encodes a bitmap as ITU-T T.6 (CCITT Group 4): every row coded two-dimensionally against
 * the row above (an all-white row above the first), ending with EOFB. The result is the
 * strip of a TIFF with Compression 4 and the stream of a PDF /CCITTFaxDecode filter with /K -1.
 */
export function encodeG4(bitmap: FaxBitmap): Uint8Array {
  const { width, height, rowBytes, data } = bitmap;
  const w = new BitWriter((rowBytes * height) >> 4);
  let ref = new Int32Array(width + 4);
  let cur = new Int32Array(width + 4);
  ref[0] = ref[1] = ref[2] = width;
  // Most rows of a page are white: test them four bytes at a time before looking at bits.
  const words = (rowBytes & 3) === 0 && (data.byteOffset & 3) === 0 ? new Uint32Array(data.buffer, data.byteOffset, (rowBytes * height) >> 2) : null;
  const rowWords = rowBytes >> 2;

  for (let y = 0; y < height; y++) {
    let blank = words !== null;
    if (words !== null) {
      for (let i = y * rowWords, end = i + rowWords; i < end; i++) {
        if (words[i] !== 0) {
          blank = false;
          break;
        }
      }
    }
    if (blank) cur[0] = cur[1] = cur[2] = width;
    else findChanges(data, y * rowBytes, rowBytes, width, cur);
    let a0 = -1;
    let color = 0;
    let ia = 0;
    let ib = 0;
    while (a0 < width) {
      while (cur[ia] <= a0) ia++;
      const a1 = cur[ia];
      // b1: first change on the reference row right of a0 whose new colour is opposite to a0's;
      // even entries turn black, odd entries turn white.
      while (ib > 0 && ref[ib - 1] > a0) ib--;
      while (ref[ib] <= a0) ib++;
      if ((ib & 1) !== color) ib++;
      const b1 = ref[ib];
      const b2 = ref[ib + 1];
      if (b2 < a1) {
        w.write(PASS.bits, PASS.length);
        a0 = b2;
      } else if (a1 - b1 <= 3 && b1 - a1 <= 3) {
        w.write(V_BITS[a1 - b1 + 3], V_LENGTHS[a1 - b1 + 3]);
        a0 = a1;
        color ^= 1;
      } else {
        const a2 = cur[ia + 1];
        w.write(HORIZONTAL.bits, HORIZONTAL.length);
        writeRun(w, a1 - (a0 < 0 ? 0 : a0), color);
        writeRun(w, a2 - a1, color ^ 1);
        a0 = a2;
      }
    }
    const swap = ref;
    ref = cur;
    cur = swap;
  }
  w.write(EOFB.bits, EOFB.length);
  return w.finish();
}
