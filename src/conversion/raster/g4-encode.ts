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

/** The 2560 make-up code of each colour (both share the extended make-up table). */
const LONGEST = [makeupTable('white')[LONGEST_MAKEUP >> 6], makeupTable('black')[LONGEST_MAKEUP >> 6]];

/**
 * Positions of the changing elements of one packed row (pixels whose colour differs from the
 * pixel to their left; the row starts after an imaginary white pixel), followed by three
 * copies of the width as sentinels. Returns the number of real changes.
 */
export function findChanges(data: Uint8Array, offset: number, rowBytes: number, width: number, out: Int32Array, words?: Int32Array): number {
  let n = 0;
  let mask = 0; // 0x00 while the current colour is white, 0xff while black
  // With a word view (offset and rowBytes multiples of 4), runs of one colour go four bytes at a time.
  const wordScan = words !== undefined && (offset & 3) === 0 && (rowBytes & 3) === 0;
  for (let i = 0; i < rowBytes; i++) {
    if (wordScan && (i & 3) === 0) {
      const word = words[(offset + i) >> 2];
      if (word === (mask === 0 ? 0 : -1)) {
        i += 3;
        continue;
      }
    }
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
 *
 * The bit writer is inlined (a local accumulator holding at most 7 pending bits plus one code
 * of up to 25 bits, so 32 bits suffice): this loop runs for every change of colour on every
 * row of every page.
 */
export function encodeG4(bitmap: FaxBitmap): Uint8Array {
  const { width, height, rowBytes, data } = bitmap;
  let buf = new Uint8Array(Math.max(1024, (rowBytes * height) >> 3));
  let pos = 0;
  let acc = 0;
  let nbits = 0;
  let ref = new Int32Array(width + 4);
  let cur = new Int32Array(width + 4);
  ref[0] = ref[1] = ref[2] = width;
  // Most rows of a page are white: test them four bytes at a time before looking at bits.
  const words = (rowBytes & 3) === 0 && (data.byteOffset & 3) === 0 ? new Int32Array(data.buffer, data.byteOffset, (rowBytes * height) >> 2) : null;
  const rowWords = rowBytes >> 2;
  const whiteBits = RUNS[0].bits;
  const whiteLengths = RUNS[0].lengths;
  const blackBits = RUNS[1].bits;
  const blackLengths = RUNS[1].lengths;

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
    else findChanges(data, y * rowBytes, rowBytes, width, cur, words ?? undefined);
    // A row needs at most about 2 codes of ≤ 25 bits per change; grow before it can overflow.
    if (pos + 8 * width + 16 > buf.length) {
      const bigger = new Uint8Array(buf.length * 2 + 8 * width);
      bigger.set(buf.subarray(0, pos));
      buf = bigger;
    }
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
      let code: number;
      let len: number;
      if (b2 < a1) {
        code = PASS.bits;
        len = PASS.length;
        a0 = b2;
      } else if (a1 - b1 <= 3 && b1 - a1 <= 3) {
        code = V_BITS[a1 - b1 + 3];
        len = V_LENGTHS[a1 - b1 + 3];
        a0 = a1;
        color ^= 1;
      } else {
        const a2 = cur[ia + 1];
        const run1 = a1 - (a0 < 0 ? 0 : a0);
        const run2 = a2 - a1;
        // Mode code and first run: the run may take 25 bits, so the 3-bit mode code goes first.
        acc = (acc << HORIZONTAL.length) | HORIZONTAL.bits;
        nbits += HORIZONTAL.length;
        for (let part = 0; part < 2; part++) {
          const black = (color ^ part) === 1;
          let run = part === 0 ? run1 : run2;
          // Only rows wider than any fax need repeated 2560 make-up codes.
          while (run >= TABLE_RUNS) {
            acc = (acc << LONGEST[0].length) | LONGEST[black ? 1 : 0].bits;
            nbits += LONGEST[0].length;
            while (nbits >= 8) {
              nbits -= 8;
              buf[pos++] = acc >>> nbits;
            }
            acc &= (1 << nbits) - 1;
            run -= LONGEST_MAKEUP;
          }
          while (nbits >= 8) {
            nbits -= 8;
            buf[pos++] = acc >>> nbits;
          }
          acc &= (1 << nbits) - 1;
          const l = black ? blackLengths[run] : whiteLengths[run];
          acc = (acc << l) | (black ? blackBits[run] : whiteBits[run]);
          nbits += l;
        }
        // Everything is written; the shared tail below only flushes.
        code = 0;
        len = 0;
        a0 = a2;
      }
      acc = (acc << len) | code;
      nbits += len;
      while (nbits >= 8) {
        nbits -= 8;
        buf[pos++] = acc >>> nbits;
      }
      acc &= (1 << nbits) - 1;
    }
    const swap = ref;
    ref = cur;
    cur = swap;
  }
  // EOFB, then pad the last byte with zero bits.
  acc = (acc << 12) | 1;
  nbits += 12;
  acc = (acc << 12) | 1;
  nbits += 12;
  while (nbits >= 8) {
    nbits -= 8;
    buf[pos++] = acc >>> nbits;
  }
  if (nbits > 0) buf[pos++] = (acc << (8 - nbits)) & 0xff;
  return buf.subarray(0, pos);
}
