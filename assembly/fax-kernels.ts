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
  const full = width & ~15;
  for (let x0 = 0; x0 < full; x0 += 16) {
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
    let bits: i32 = 0;
    for (let i = 0; i < 16; i++) {
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
    store<u8>(out + (x0 >> 3) + 1, <u8>bits);
  }
  // Rows whose width is not a multiple of 16 end pixel by pixel.
  for (let x = full; x < width; x++) {
    const raw = <i32>load<u8>(row + x);
    let err: i32 = 0;
    let b: i32 = 0;
    if (raw <= 20) {
      b = 1;
    } else if (raw < 235) {
      const xl: i32 = x > 0 ? x - 1 : 0;
      const xr: i32 = x < width - 1 ? x + 1 : width - 1;
      const l = <i32>load<u8>(row + xl);
      const r = <i32>load<u8>(row + xr);
      const u = <i32>load<u8>(up + x);
      const d = <i32>load<u8>(down + x);
      const mn = min(min(min(raw, l), min(r, u)), d);
      const mx = max(max(max(raw, l), max(r, u)), d);
      if (mx - mn >= 64) {
        b = raw < (mn + mx) >> 1 ? 1 : 0;
      } else {
        const v = <i32>load<u8>(tone + raw) + ((load<i32>(cur + (<usize>(x + 1) << 2)) + right + 8) >> 4);
        const dark = (v - 128) >> 31;
        b = dark & 1;
        err = v - (255 & ~dark);
      }
    }
    if (b != 0) {
      const byte = out + (x >> 3);
      const bit: u32 = 0x80 >> (x & 7);
      store<u8>(byte, <u32>load<u8>(byte) | bit);
    }
    right = err * 7;
    if ((below | belowNext | err) != 0) {
      const at = next + (<usize>x << 2);
      store<i32>(at, load<i32>(at) + below + err * 3);
      below = belowNext + err * 5;
      belowNext = err;
      dirty = true;
    }
  }
  const at = next + (<usize>width << 2);
  store<i32>(at, load<i32>(at) + below);
  return dirty;
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
 * all-white row above the first), then EOFB, the last byte padded with zero bits. Writes to
 * `out` and returns the length. `changesA` and `changesB` each hold width + 4 i32 values. The
 * caller gives `out` room for the worst case, about 4 bytes per pixel of width and row.
 */
export function encodeG4(bitmap: usize, width: i32, height: i32, rowBytes: i32, out: usize, changesA: usize, changesB: usize): i32 {
  pos = out;
  acc = 0;
  nbits = 0;
  let ref = changesA;
  let cur = changesB;
  store<i32>(ref, width);
  store<i32>(ref + 4, width);
  store<i32>(ref + 8, width);
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
  put(1, 12);
  put(1, 12);
  finish();
  return <i32>(pos - out);
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
  let ia: i32 = 0;
  let ib: i32 = 0;
  while (a0 < width) {
    while (at(cur, ia) <= a0) ia++;
    const a1 = at(cur, ia);
    // b1: the first change on the reference row right of a0 whose new colour is opposite to
    // a0's; even entries turn black, odd entries turn white.
    while (ib > 0 && at(ref, ib - 1) > a0) ib--;
    while (at(ref, ib) <= a0) ib++;
    if ((ib & 1) != color) ib++;
    const b1 = at(ref, ib);
    if (a1 == b1) {
      // Vertical 0, the commonest code (a straight edge): one bit.
      put(1, 1);
      a0 = a1;
      color ^= 1;
    } else if (at(ref, ib + 1) < a1) {
      put(passBits, passLength);
      a0 = at(ref, ib + 1);
    } else if (a1 - b1 <= 3 && b1 - a1 <= 3) {
      const k = <usize>(a1 - b1 + 3);
      put(load<u32>(verticalBits + (k << 2)), <u32>load<u8>(verticalLengths + k));
      a0 = a1;
      color ^= 1;
    } else {
      const a2 = at(cur, ia + 1);
      put(horizontalBits, horizontalLength);
      runCode(a1 - (a0 < 0 ? 0 : a0), color);
      runCode(a2 - a1, color ^ 1);
      a0 = a2;
    }
  }
}

/** A run of one colour (1 = black): repeated 2560 make-up codes where a row is wider than any fax. */
function runCode(length: i32, black: i32): void {
  let run = length;
  while (run >= tableRuns) {
    put(longestBits, longestLength);
    run -= longestMakeup;
  }
  const k = <usize>run;
  if (black != 0) put(load<u32>(blackBits + (k << 2)), <u32>load<u8>(blackLengths + k));
  else put(load<u32>(whiteBits + (k << 2)), <u32>load<u8>(whiteLengths + k));
}
