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
 * Colour changes inside one byte, for every byte value read as if the pixel before it were
 * white (a byte after a black pixel is looked up inverted): how many, and their bit positions
 * (0 = leftmost), eight slots per value. An odd count leaves the colour changed.
 */
const BYTE_CHANGES = ((): { count: Uint8Array; at: Uint8Array } => {
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
})();

/**
 * Positions of the changing elements of one packed row (pixels whose colour differs from the
 * pixel to their left; the row starts after an imaginary white pixel), followed by three
 * copies of the width as sentinels. Returns the number of real changes. With a word view of
 * the data (offset and rowBytes multiples of 4), runs of one colour go four bytes at a time.
 */
export function findChanges(data: Uint8Array, offset: number, rowBytes: number, width: number, out: Int32Array, words?: Int32Array): number {
  const { count, at } = BYTE_CHANGES;
  let n = 0;
  let mask = 0; // 0x00 while the current colour is white, 0xff while black
  const wordScan = words !== undefined && (offset & 3) === 0 && (rowBytes & 3) === 0;
  for (let i = 0; i < rowBytes; i++) {
    if (wordScan && (i & 3) === 0 && words[(offset + i) >> 2] === (mask === 0 ? 0 : -1)) {
      i += 3;
      continue;
    }
    const v = data[offset + i] ^ mask;
    if (v === 0) continue;
    const base = i << 3;
    const changes = count[v];
    for (let k = 0; k < changes; k++) out[n++] = base + at[(v << 3) + k];
    if ((changes & 1) !== 0) mask ^= 0xff;
  }
  // Padding bits past the width are white: a change found there is no change of the row.
  while (n > 0 && out[n - 1] >= width) n--;
  out[n] = width;
  out[n + 1] = width;
  out[n + 2] = width;
  return n;
}

/** Where encoded bits go: the output, its length, and fewer than 8 pending bits (right-aligned). */
interface BitSink {
  buf: Uint8Array;
  pos: number;
  acc: number;
  nbits: number;
}

/**
 * Encodes a bitmap as ITU-T T.6 (CCITT Group 4): every row coded two-dimensionally against
 * the row above (an all-white row above the first), ending with EOFB. The result is the
 * strip of a TIFF with Compression 4 and the stream of a PDF /CCITTFaxDecode filter with /K -1.
 */
export function encodeG4(bitmap: FaxBitmap): Uint8Array {
  const { width, height, rowBytes, data } = bitmap;
  const sink: BitSink = { buf: new Uint8Array(Math.max(1024, (rowBytes * height) >> 3)), pos: 0, acc: 0, nbits: 0 };
  let ref = new Int32Array(width + 4);
  let cur = new Int32Array(width + 4);
  ref[0] = ref[1] = ref[2] = width;
  // Most rows of a page are white: test them four bytes at a time before looking at bits.
  const words = (rowBytes & 3) === 0 && (data.byteOffset & 3) === 0 ? new Int32Array(data.buffer, data.byteOffset, (rowBytes * height) >> 2) : undefined;
  const rowWords = rowBytes >> 2;
  for (let y = 0; y < height; y++) {
    let blank = words !== undefined;
    if (words !== undefined) {
      for (let i = y * rowWords, end = i + rowWords; i < end; i++) {
        if (words[i] !== 0) {
          blank = false;
          break;
        }
      }
    }
    if (blank) cur[0] = cur[1] = cur[2] = width;
    else findChanges(data, y * rowBytes, rowBytes, width, cur, words);
    // A row needs at most about 2 codes of ≤ 25 bits per change; grow before it can overflow.
    if (sink.pos + 8 * width + 16 > sink.buf.length) {
      const bigger = new Uint8Array(sink.buf.length * 2 + 8 * width);
      bigger.set(sink.buf.subarray(0, sink.pos));
      sink.buf = bigger;
    }
    encodeRow(cur, ref, width, sink);
    const swap = ref;
    ref = cur;
    cur = swap;
  }
  // EOFB, then pad the last byte with zero bits.
  let { acc, nbits, pos } = sink;
  const { buf } = sink;
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

const WHITE_BITS = RUNS[0].bits;
const WHITE_LENGTHS = RUNS[0].lengths;
const BLACK_BITS = RUNS[1].bits;
const BLACK_LENGTHS = RUNS[1].lengths;

/**
 * One row's codes, from its changing elements and those of the row above. A small function of
 * its own, called for every row, so the JIT optimises it early and keeps it optimised. The bit
 * writer is inlined (a local accumulator holding at most 7 pending bits plus one code of up to
 * 25 bits, so 32 bits suffice): this loop runs for every change of colour on every row.
 */
function encodeRow(cur: Int32Array, ref: Int32Array, width: number, sink: BitSink): void {
  const buf = sink.buf;
  let pos = sink.pos;
  let acc = sink.acc;
  let nbits = sink.nbits;
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
    if (a1 === b1) {
      // Vertical 0, the commonest code (a straight edge): one bit. Pass mode cannot apply (b2 > a1).
      acc = (acc << 1) | 1;
      nbits++;
      a0 = a1;
      color ^= 1;
    } else if (ref[ib + 1] < a1) {
      acc = (acc << PASS.length) | PASS.bits;
      nbits += PASS.length;
      a0 = ref[ib + 1];
    } else if (a1 - b1 <= 3 && b1 - a1 <= 3) {
      acc = (acc << V_LENGTHS[a1 - b1 + 3]) | V_BITS[a1 - b1 + 3];
      nbits += V_LENGTHS[a1 - b1 + 3];
      a0 = a1;
      color ^= 1;
    } else {
      const a2 = cur[ia + 1];
      // Mode code and first run: the run may take 25 bits, so the 3-bit mode code goes first.
      acc = (acc << HORIZONTAL.length) | HORIZONTAL.bits;
      nbits += HORIZONTAL.length;
      for (let part = 0; part < 2; part++) {
        const black = (color ^ part) === 1;
        let run = part === 0 ? a1 - (a0 < 0 ? 0 : a0) : a2 - a1;
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
        const l = black ? BLACK_LENGTHS[run] : WHITE_LENGTHS[run];
        acc = (acc << l) | (black ? BLACK_BITS[run] : WHITE_BITS[run]);
        nbits += l;
      }
      a0 = a2;
    }
    while (nbits >= 8) {
      nbits -= 8;
      buf[pos++] = acc >>> nbits;
    }
    acc &= (1 << nbits) - 1;
  }
  sink.pos = pos;
  sink.acc = acc;
  sink.nbits = nbits;
}
