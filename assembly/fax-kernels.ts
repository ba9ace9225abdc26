// The per-pixel work of a fax page, compiled to WebAssembly with SIMD: grey to 1 bit (hybrid
// dithering) and the Group 4 encoder. AssemblyScript, built by scripts/build-kernels.js into
// src/conversion/raster/kernels-wasm.ts; src/conversion/raster/kernels.ts lays out the memory,
// writes the code tables and calls these functions. All buffers are addresses in this module's
// memory, chosen by the caller; nothing here allocates.

// ---------------------------------------------------------------------------------------------
// Tables, written by the caller once (see kernels.ts for their layout and meaning).

/** 256 bytes: the tone curve applied before error diffusion. */
let tone: usize = 0;
/** Run-length code words, make-up and terminating joined, for runs 0..TABLE_RUNS-1: u32 bits and u8 lengths. */
let whiteBits: usize = 0;
let whiteLengths: usize = 0;
let blackBits: usize = 0;
let blackLengths: usize = 0;
/** Vertical mode codes for a1 − b1 = −3..3: u32 bits and u8 lengths, 7 each. */
let verticalBits: usize = 0;
let verticalLengths: usize = 0;
/** Colour changes inside a byte read after a white pixel: u8 count per value, u8 positions (8 per value). */
let changeCount: usize = 0;
let changeAt: usize = 0;
let passBits: u32 = 0;
let passLength: u32 = 0;
let horizontalBits: u32 = 0;
let horizontalLength: u32 = 0;
/** The 2560 make-up code (the same for both colours, from the extended table). */
let longestBits: u32 = 0;
let longestLength: u32 = 0;
let tableRuns: i32 = 0;
let longestMakeup: i32 = 0;

export function setTables(
  toneAt: usize,
  whiteBitsAt: usize,
  whiteLengthsAt: usize,
  blackBitsAt: usize,
  blackLengthsAt: usize,
  verticalBitsAt: usize,
  verticalLengthsAt: usize,
  changeCountAt: usize,
  changeAtAt: usize,
  pass: u32,
  passLen: u32,
  horizontal: u32,
  horizontalLen: u32,
  longest: u32,
  longestLen: u32,
  runs: i32,
  makeup: i32,
): void {
  tone = toneAt;
  whiteBits = whiteBitsAt;
  whiteLengths = whiteLengthsAt;
  blackBits = blackBitsAt;
  blackLengths = blackLengthsAt;
  verticalBits = verticalBitsAt;
  verticalLengths = verticalLengthsAt;
  changeCount = changeCountAt;
  changeAt = changeAtAt;
  passBits = pass;
  passLength = passLen;
  horizontalBits = horizontal;
  horizontalLength = horizontalLen;
  longestBits = longest;
  longestLength = longestLen;
  tableRuns = runs;
  longestMakeup = makeup;
}

/** First free address after this module's own data: the caller's buffers start here or later. */
export function heapBase(): usize {
  return __heap_base;
}

// ---------------------------------------------------------------------------------------------
// Grey to 1 bit.
//
// A pixel (0 = black) is white from 235 up and black up to 20. In between it is an edge when the
// contrast over it and its four direct neighbours (max − min) is at least 64: black below the
// midpoint of that darkest and lightest neighbour. Otherwise it is diffused: the tone curve plus
// the error it receives, black below 128, and the error passes on Floyd–Steinberg (7/16 right,
// 3/16 below left, 5/16 below, 1/16 below right). White, black and edge pixels neither take nor
// pass on error. Errors are kept ×16, in i32 rows with one slot of padding each side.

/**
 * Fills `out` (rowBytes × height, bits most significant first, 1 = black) from the grey page
 * (width × height bytes, row after row). `errA` and `errB` each hold width + 2 i32 values;
 * `scratch` 32 bytes. Reads up to 16 bytes before the grey page and after it: the caller leaves
 * room there.
 */
export function dither(grey: usize, width: i32, height: i32, out: usize, rowBytes: i32, errA: usize, errB: usize, scratch: usize): void {
  const errBytes = <usize>(width + 2) << 2;
  memory.fill(errA, 0, errBytes);
  memory.fill(errB, 0, errBytes);
  memory.fill(out, 0, <usize>rowBytes * height);
  let cur = errA;
  let next = errB;
  let curDirty = false;
  for (let y = 0; y < height; y++) {
    const row = grey + <usize>y * width;
    let nextDirty = false;
    if (!isWhite(row, width)) {
      const up = y > 0 ? row - width : row;
      const down = y < height - 1 ? row + width : row;
      nextDirty = ditherRow(row, up, down, width, cur, next, out + <usize>y * rowBytes, scratch);
    }
    // The row's incoming error is spent; its array becomes the next row's (empty) outgoing one.
    if (curDirty) memory.fill(cur, 0, errBytes);
    const swap = cur;
    cur = next;
    next = swap;
    curDirty = nextDirty;
  }
}

function isWhite(row: usize, width: i32): bool {
  const white = i8x16.splat(-1);
  let x = 0;
  for (; x + 16 <= width; x += 16) {
    if (!i8x16.all_true(i8x16.eq(v128.load(row + x), white))) return false;
  }
  for (; x < width; x++) if (load<u8>(row + x) != 255) return false;
  return true;
}

/** One row, 16 pixels at a time; returns whether it left error for the next row. */
function ditherRow(row: usize, up: usize, down: usize, width: i32, cur: usize, next: usize, out: usize, scratch: usize): bool {
  const white = i8x16.splat(-1);
  const blackLimit = i8x16.splat(20);
  const whiteFrom = i8x16.splat(<i8>235);
  const contrast = i8x16.splat(63);
  const one = i8x16.splat(1);
  // Error on its way: to the pixel on the right (×7 already) and, for the next row, the partial
  // sums below the previous pixel and below the current one.
  let right: i32 = 0;
  let below: i32 = 0;
  let belowNext: i32 = 0;
  let dirty = false;
  for (let x0 = 0; x0 < width; x0 += 16) {
    // Sixteen pixels, or the fewer a row ends with.
    const n = min(16, width - x0);
    if (n == 16) {
      const c = v128.load(row + x0);
      let black: v128;
      let diffuse: v128;
      if (i8x16.all_true(i8x16.eq(c, white))) {
        black = i8x16.splat(0);
        diffuse = black;
      } else {
        let l = v128.load(row + x0 - 1);
        if (x0 == 0) l = i8x16.replace_lane(l, 0, i8x16.extract_lane_s(c, 0));
        let r = v128.load(row + x0 + 1);
        if (x0 + 16 == width) r = i8x16.replace_lane(r, 15, i8x16.extract_lane_s(c, 15));
        const u = v128.load(up + x0);
        const d = v128.load(down + x0);
        const mn = i8x16.min_u(i8x16.min_u(i8x16.min_u(c, l), i8x16.min_u(r, u)), d);
        const mx = i8x16.max_u(i8x16.max_u(i8x16.max_u(c, l), i8x16.max_u(r, u)), d);
        const edge = i8x16.gt_u(i8x16.sub_sat_u(mx, mn), contrast);
        // (mn + mx) >> 1 without leaving 8 bits.
        const mid = i8x16.add(i8x16.add(i8x16.shr_u(mn, 1), i8x16.shr_u(mx, 1)), v128.and(v128.and(mn, mx), one));
        const dark = i8x16.le_u(c, blackLimit);
        const midtone = v128.andnot(i8x16.lt_u(c, whiteFrom), dark);
        black = v128.or(dark, v128.and(v128.and(midtone, edge), i8x16.lt_u(c, mid)));
        diffuse = v128.andnot(midtone, edge);
      }
      if (!v128.any_true(diffuse)) {
        // Nothing here takes or passes on error: settle what the pixel before left for the row below.
        store<u16>(out + (x0 >> 3), <u16>bitsOf(black));
        if ((below | belowNext) != 0) {
          const at = next + (<usize>x0 << 2);
          store<i32>(at, load<i32>(at) + below);
          store<i32>(at + 4, load<i32>(at + 4) + belowNext);
        }
        right = below = belowNext = 0;
        continue;
      }
      v128.store(scratch, black);
      v128.store(scratch + 16, diffuse);
    } else {
      for (let i = 0; i < n; i++) classify(row, up, down, x0 + i, width, scratch + i);
    }
    // Pixel by pixel: the diffused ones take the error on its way and pass theirs on.
    let bits: i32 = 0;
    for (let i = 0; i < n; i++) {
      const x = x0 + i;
      const d = <i32>load<u8>(scratch + 16 + i) & 1;
      let b = <i32>load<u8>(scratch + i) & 1;
      let err: i32 = 0;
      if (d != 0) {
        const v = <i32>load<u8>(tone + load<u8>(row + x)) + ((load<i32>(cur + (<usize>(x + 1) << 2)) + right + 8) >> 4);
        const dark = (v - 128) >> 31;
        b = dark & 1;
        err = v - (255 & ~dark);
      }
      bits |= b << (15 - i);
      right = err * 7;
      if ((below | belowNext | err) != 0) {
        const at = next + (<usize>x << 2);
        store<i32>(at, load<i32>(at) + below + err * 3);
        below = belowNext + err * 5;
        belowNext = err;
        dirty = true;
      }
    }
    store<u8>(out + (x0 >> 3), <u8>(bits >> 8));
    if (n > 8) store<u8>(out + (x0 >> 3) + 1, <u8>bits);
  }
  const at = next + (<usize>width << 2);
  store<i32>(at, load<i32>(at) + below);
  return dirty;
}

/**
 * One pixel classified as the sixteen-lane code does, with neighbours beyond the page taken
 * from the pixel itself: at `to`, 0xff if black (else 0), and 16 bytes on, 0xff if diffused.
 */
function classify(row: usize, up: usize, down: usize, x: i32, width: i32, to: usize): void {
  const raw = <i32>load<u8>(row + x);
  let black = raw <= 20;
  let diffuse = false;
  if (!black && raw < 235) {
    const xl: i32 = x > 0 ? x - 1 : 0;
    const xr: i32 = x < width - 1 ? x + 1 : width - 1;
    const l = <i32>load<u8>(row + xl);
    const r = <i32>load<u8>(row + xr);
    const u = <i32>load<u8>(up + x);
    const d = <i32>load<u8>(down + x);
    const mn = min(min(min(raw, l), min(r, u)), d);
    const mx = max(max(max(raw, l), max(r, u)), d);
    if (mx - mn >= 64) black = raw < (mn + mx) >> 1;
    else diffuse = true;
  }
  store<u8>(to, black ? 0xff : 0);
  store<u8>(to + 16, diffuse ? 0xff : 0);
}

/** Sixteen lanes of all ones or zeros as two bytes, pixel 0 in the most significant bit of the first (little-endian u16). */
// @ts-ignore: decorator
@inline
function bitsOf(lanes: v128): i32 {
  return i8x16.bitmask(i8x16.shuffle(lanes, lanes, 7, 6, 5, 4, 3, 2, 1, 0, 15, 14, 13, 12, 11, 10, 9, 8));
}

// ---------------------------------------------------------------------------------------------
// Group 4 (ITU-T T.6).

/**
 * Positions of the changing elements of one packed row (pixels whose colour differs from the
 * pixel to their left; the row starts after an imaginary white pixel), as i32 at `out`,
 * followed by three copies of the width. Returns the number of real changes.
 */
export function findChanges(row: usize, rowBytes: i32, width: i32, out: usize): i32 {
  let n: i32 = 0;
  // 0 while the current colour is white, 0xff while black.
  let mask: i32 = 0;
  let i = 0;
  while (i < rowBytes) {
    // Eight bytes of the current colour at once: runs are most of a row.
    if (i + 8 <= rowBytes && load<u64>(row + i) == (mask == 0 ? 0 : 0xffffffffffffffff)) {
      i += 8;
      continue;
    }
    const end = min(i + 8, rowBytes);
    for (; i < end; i++) {
      const v = <i32>load<u8>(row + i) ^ mask;
      if (v == 0) continue;
      const base = i << 3;
      const changes = <i32>load<u8>(changeCount + v);
      const from = changeAt + (<usize>v << 3);
      for (let k = 0; k < changes; k++) {
        store<i32>(out + (<usize>n << 2), base + <i32>load<u8>(from + k));
        n++;
      }
      if ((changes & 1) != 0) mask ^= 0xff;
    }
  }
  // Padding bits past the width are white: a change found there is no change of the row.
  while (n > 0 && load<i32>(out + (<usize>(n - 1) << 2)) >= width) n--;
  const at = out + (<usize>n << 2);
  store<i32>(at, width);
  store<i32>(at + 4, width);
  store<i32>(at + 8, width);
  return n;
}

function blankRow(row: usize, rowBytes: i32): bool {
  let i = 0;
  for (; i + 16 <= rowBytes; i += 16) if (v128.any_true(v128.load(row + i))) return false;
  for (; i < rowBytes; i++) if (load<u8>(row + i) != 0) return false;
  return true;
}

// The bit writer: pending bits in `acc` (right-aligned, fewer than 32 between codes; a code has
// at most 25 bits, so 64 suffice), written four bytes at a time at `pos`.
let pos: usize = 0;
let acc: u64 = 0;
let nbits: u32 = 0;

// @ts-ignore: decorator
@inline
function put(bits: u32, length: u32): void {
  acc = (acc << length) | bits;
  nbits += length;
  if (nbits >= 32) {
    nbits -= 32;
    store<u32>(pos, bswap<u32>(<u32>(acc >> nbits)));
    pos += 4;
  }
}

/** Writes what is pending, the last byte padded with zero bits. */
function finish(): void {
  while (nbits >= 8) {
    nbits -= 8;
    store<u8>(pos++, <u8>(acc >> nbits));
  }
  if (nbits > 0) store<u8>(pos++, <u8>(acc << (8 - nbits)));
  nbits = 0;
}

/**
 * Encodes a packed bitmap (1 = black) as T.6: every row coded against the one above (an
 * all-white row above the first, or the packed row at `reference` when it is not 0: the rows
 * of a page can be coded in parts and the parts' bits joined). With `last` the code ends with
 * EOFB. Writes to `out`, the last byte padded with zero bits, and returns the number of bits
 * before that padding. `changesA` and `changesB` each hold width + 4 i32 values. The caller
 * gives `out` room for the worst case, about 4 bytes per pixel of width and row.
 */
export function encodeG4(bitmap: usize, width: i32, height: i32, rowBytes: i32, out: usize, changesA: usize, changesB: usize, reference: usize, last: bool): i32 {
  pos = out;
  acc = 0;
  nbits = 0;
  let ref = changesA;
  let cur = changesB;
  if (reference != 0 && !blankRow(reference, rowBytes)) {
    findChanges(reference, rowBytes, width, ref);
  } else {
    store<i32>(ref, width);
    store<i32>(ref + 4, width);
    store<i32>(ref + 8, width);
  }
  for (let y = 0; y < height; y++) {
    const row = bitmap + <usize>y * rowBytes;
    if (blankRow(row, rowBytes)) {
      store<i32>(cur, width);
      store<i32>(cur + 4, width);
      store<i32>(cur + 8, width);
    } else {
      findChanges(row, rowBytes, width, cur);
    }
    encodeRow(cur, ref, width);
    const swap = ref;
    ref = cur;
    cur = swap;
  }
  if (last) {
    put(1, 12);
    put(1, 12);
  }
  const bits = <i32>(pos - out) * 8 + <i32>nbits;
  finish();
  return bits;
}

// @ts-ignore: decorator
@inline
function at(changes: usize, i: i32): i32 {
  return load<i32>(changes + (<usize>i << 2));
}

/** One row's codes, from its changing elements and those of the row above. */
function encodeRow(cur: usize, ref: usize, width: i32): void {
  let a0: i32 = -1;
  let color: i32 = 0;
  // a1 is cur[ia]: each mode moves it on by the changes it codes, so it is never searched for.
  let ia: i32 = 0;
  let ib: i32 = 0;
  while (a0 < width) {
    const a1 = at(cur, ia);
    // b1: the first change on the reference row right of a0 whose new colour is opposite to
    // a0's; even entries turn black, odd entries turn white.
    while (ib > 0 && at(ref, ib - 1) > a0) ib--;
    while (at(ref, ib) <= a0) ib++;
    ib += (ib & 1) ^ color;
    const b2 = at(ref, ib + 1);
    if (b2 < a1) {
      put(passBits, passLength);
      a0 = b2;
      continue;
    }
    // Vertical modes for a1 − b1 from −3 to 3 (the commonest, 0, is one bit).
    const d = a1 - at(ref, ib) + 3;
    if (<u32>d <= 6) {
      put(load<u32>(verticalBits + (<usize>d << 2)), <u32>load<u8>(verticalLengths + <usize>d));
      a0 = a1;
      color ^= 1;
      ia++;
    } else {
      const a2 = at(cur, ia + 1);
      put(horizontalBits, horizontalLength);
      runCode(a1 - (a0 < 0 ? 0 : a0), color);
      runCode(a2 - a1, color ^ 1);
      a0 = a2;
      ia += 2;
    }
  }
}

/** A run of one colour (1 = black): repeated 2560 make-up codes where a row is wider than any fax. */
// @ts-ignore: decorator
@inline
function runCode(length: i32, black: i32): void {
  let run = length;
  while (run >= tableRuns) {
    put(longestBits, longestLength);
    run -= longestMakeup;
  }
  const k = <usize>run;
  const bitsAt = select<usize>(blackBits, whiteBits, black != 0);
  const lengthsAt = select<usize>(blackLengths, whiteLengths, black != 0);
  put(load<u32>(bitsAt + (k << 2)), <u32>load<u8>(lengthsAt + k));
}

// ---------------------------------------------------------------------------------------------
// Thumbnail.

/**
 * A small grey image of a bitmap: each thumbnail pixel averages one byte column (8 pixels
 * across) over the rows it covers, `rowsPer` of them (fractional), which squares fax pixels.
 * Writes rowBytes × height bytes (0 = black) to `out`; `sums` holds rowBytes u32. Returns the
 * number of black pixels of the bitmap.
 */
export function thumbnail(bitmap: usize, rowBytes: i32, rows: i32, rowsPer: f64, height: i32, out: usize, sums: usize): i32 {
  let black: i32 = 0;
  for (let ty = 0; ty < height; ty++) {
    const from = <i32>Math.floor(<f64>ty * rowsPer);
    // The last thumbnail row takes whatever rows remain, so every row is counted once.
    const to = ty == height - 1 ? rows : min(rows, max(from + 1, <i32>Math.floor(<f64>(ty + 1) * rowsPer)));
    memory.fill(sums, 0, <usize>rowBytes << 2);
    for (let y = from; y < to; y++) {
      const row = bitmap + <usize>y * rowBytes;
      let i = 0;
      for (; i + 16 <= rowBytes; i += 16) {
        if (!v128.any_true(v128.load(row + i))) continue;
        for (let k = i; k < i + 16; k++) {
          const at = sums + (<usize>k << 2);
          store<u32>(at, load<u32>(at) + popcnt<u32>(load<u8>(row + k)));
        }
      }
      for (; i < rowBytes; i++) {
        const at = sums + (<usize>i << 2);
        store<u32>(at, load<u32>(at) + popcnt<u32>(load<u8>(row + i)));
      }
    }
    const total = <f64>(8 * (to - from));
    const line = out + <usize>ty * rowBytes;
    for (let i = 0; i < rowBytes; i++) {
      const sum = load<u32>(sums + (<usize>i << 2));
      black += sum;
      store<u8>(line + i, <u8>(255 - <i32>Math.floor((255.0 * <f64>sum) / total + 0.5)));
    }
  }
  return black;
}

// ---------------------------------------------------------------------------------------------
// The preview's image data: a zlib stream (RFC 1950) of the PNG rows (filter byte 0, then the
// packed pixels), in one deflate block with the fixed Huffman codes (RFC 1951). A row equal to
// the row above is one match at the distance of a row; otherwise runs of one byte value are a
// literal and a match at distance 1 (what zlib's run-length strategy finds), the rest literals.

/** Literal/length symbols 0..287: code bits already reversed for the LSB-first stream, u32, and u8 lengths. */
let literalBits: usize = 0;
let literalLengths: usize = 0;
/** Lengths 0..258 (3 and up used): the length symbol's code and its extra bits joined, u32, and u8 total lengths. */
let matchBits: usize = 0;
let matchLengths: usize = 0;

export function setDeflateTables(literalBitsAt: usize, literalLengthsAt: usize, matchBitsAt: usize, matchLengthsAt: usize): void {
  literalBits = literalBitsAt;
  literalLengths = literalLengthsAt;
  matchBits = matchBitsAt;
  matchLengths = matchLengthsAt;
}

// @ts-ignore: decorator
@inline
function putLsb(bits: u32, length: u32): void {
  acc |= <u64>bits << nbits;
  nbits += length;
  if (nbits >= 32) {
    store<u32>(pos, <u32>acc);
    pos += 4;
    acc >>= 32;
    nbits -= 32;
  }
}

// @ts-ignore: decorator
@inline
function literal(byte: u32): void {
  putLsb(load<u32>(literalBits + (<usize>byte << 2)), load<u8>(literalLengths + byte));
}

/** Matches of `length` bytes at one distance (its code and extra bits given), in pieces of at most 258; a rest under 3 as literals of `byte`. */
function matches(length: i32, distanceBits: u32, distanceLength: u32, byte: u32): void {
  let left = length;
  while (left >= 3) {
    const piece = min(left, 258);
    // A piece must not leave 1 or 2 bytes that no match can take.
    const take = left - piece > 0 && left - piece < 3 ? piece - 3 : piece;
    putLsb(load<u32>(matchBits + (<usize>take << 2)), load<u8>(matchLengths + take));
    putLsb(distanceBits, distanceLength);
    left -= take;
  }
  for (; left > 0; left--) literal(byte);
}

const ADLER: u32 = 65521;

/**
 * Writes the zlib stream of a bitmap's PNG rows to `out`; returns its length. `rowDistanceBits`
 * and `rowDistanceLength` code the distance rowBytes + 1. The caller gives `out` room for
 * 9/8 of the raw rows and some bytes more.
 */
export function deflateRows(bitmap: usize, rowBytes: i32, height: i32, out: usize, rowDistanceBits: u32, rowDistanceLength: u32): i32 {
  pos = out;
  acc = 0;
  nbits = 0;
  // zlib header: deflate with a 32 KB window, no dictionary, check bits.
  store<u8>(pos++, 0x78);
  store<u8>(pos++, 0x01);
  // One final block with fixed codes: BFINAL 1, BTYPE 01.
  putLsb(0b011, 3);
  let s1: u64 = 1;
  let s2: u64 = 0;
  for (let y = 0; y < height; y++) {
    const row = bitmap + <usize>y * rowBytes;
    if (y > 0 && sameRow(row, row - rowBytes, rowBytes)) {
      matches(rowBytes + 1, rowDistanceBits, rowDistanceLength, 0);
    } else {
      literal(0);
      let i = 0;
      while (i < rowBytes) {
        const byte = <u32>load<u8>(row + i);
        let run = 1;
        while (i + run < rowBytes && <u32>load<u8>(row + i + run) == byte) run++;
        literal(byte);
        if (run >= 4) matches(run - 1, 0, 5, byte);
        else for (let k = 1; k < run; k++) literal(byte);
        i += run;
      }
    }
    // Adler-32 of the raw row: the filter byte, then the pixels (sums stay far below 2^64 within a row).
    s2 += s1;
    let i = 0;
    for (; i + 16 <= rowBytes; i += 16) {
      if (v128.any_true(v128.load(row + i))) break;
      s2 += s1 * 16;
    }
    for (; i < rowBytes; i++) {
      s1 += load<u8>(row + i);
      s2 += s1;
    }
    s1 %= ADLER;
    s2 %= ADLER;
  }
  // End of block, then the Adler-32, most significant byte first, after padding to a byte.
  putLsb(0, 7);
  while (nbits > 0) {
    store<u8>(pos++, <u8>acc);
    acc >>= 8;
    nbits = nbits > 8 ? nbits - 8 : 0;
  }
  store<u32>(pos, bswap<u32>(<u32>((s2 << 16) | s1)));
  pos += 4;
  return <i32>(pos - out);
}

function sameRow(a: usize, b: usize, length: i32): bool {
  let i = 0;
  for (; i + 16 <= length; i += 16) {
    if (!i8x16.all_true(i8x16.eq(v128.load(a + i), v128.load(b + i)))) return false;
  }
  for (; i < length; i++) if (load<u8>(a + i) != load<u8>(b + i)) return false;
  return true;
}
