import { createBitmap, type FaxBitmap } from './bitmap';

/**
 * Local contrast (max − min of a pixel and its four neighbours) from which a pixel counts as part of an
 * edge: text, rules and outlines. Edges are thresholded halfway between their darkest and
 * lightest neighbour, so anti-aliased and light-coloured strokes stay solid; flat areas get
 * error diffusion, so grey and colour keep their tone.
 */
const EDGE_CONTRAST = 64;

/**
 * Tone curve applied before diffusion: paper-white scans (≥ 235) become pure white and
 * near-black (≤ 20) pure black, so backgrounds do not turn into scattered dots; mid-tones
 * keep their value (50 % grey stays 50 %).
 */
const TONE = ((): Uint8Array => {
  const lut = new Uint8Array(256);
  for (let v = 0; v < 256; v++) lut[v] = Math.max(0, Math.min(255, Math.round(((v - 20) * 255) / 215)));
  return lut;
})();

/**
 * Converts an 8-bit grey page (0 = black, row stride = width) into a 1-bit fax bitmap.
 *
 * Hybrid of adaptive thresholding on edges and Floyd–Steinberg error diffusion elsewhere.
 * Pure white and pure black pixels neither take nor pass on diffusion error: they are the
 * bulk of a document page. Rows of a document page are mostly blank: one native comparison
 * skips a whole white row.
 */
export function ditherToBitmap(grey: Uint8Array, width: number, height: number): FaxBitmap {
  if (grey.length < width * height) throw new RangeError('grey buffer smaller than width × height');
  const bitmap = createBitmap(width, height);
  // Diffusion error ×16 (so the 7/3/5/1 sixteenths stay integers), one pixel of padding each side.
  let cur = new Int16Array(width + 2);
  let next = new Int16Array(width + 2);
  let nextDirty = false;
  // Signed words, so "all white" is −1: small integers stay small integers in the JIT.
  const words = grey.byteOffset % 4 === 0 && width % 8 === 0 ? new Int32Array(grey.buffer, grey.byteOffset, (width * height) >> 2) : null;
  const whiteRow = Buffer.alloc(width, 255);
  const view = Buffer.from(grey.buffer, grey.byteOffset, width * height);
  for (let y = 0; y < height; y++) {
    const swap = cur;
    cur = next;
    next = swap;
    if (nextDirty) next.fill(0);
    nextDirty = false;
    const row = y * width;
    if (view.compare(whiteRow, 0, width, row, row + width) === 0) continue;
    nextDirty = ditherRow(grey, words, width, row, y > 0 ? row - width : row, y < height - 1 ? row + width : row, cur, next, bitmap.data, y * bitmap.rowBytes);
  }
  return bitmap;
}

/**
 * One row, eight pixels (one output byte) at a time; a group of eight white pixels is two
 * 32-bit words of all ones and is skipped without looking at single pixels. A small function
 * of its own, called for every row, so the JIT optimises it early and keeps it optimised.
 * Returns whether it left error for the next row.
 */
function ditherRow(grey: Uint8Array, words: Int32Array | null, width: number, row: number, up: number, down: number, cur: Int16Array, next: Int16Array, out: Uint8Array, outRow: number): boolean {
  const last = width - 1;
  const groups = (width + 7) >> 3;
  let dirty = false;
  // Error on its way, in locals rather than in the arrays: to the pixel on the right (7/16),
  // and the partial sums for the next row below the current pixel and the one after it.
  let right = 0;
  let below = 0;
  let belowNext = 0;
  for (let group = 0; group < groups; group++) {
    const x0 = group << 3;
    if (words !== null) {
      const w = (row + x0) >> 2;
      if ((words[w] & words[w + 1]) === -1) {
        // Eight white pixels take and pass on nothing: settle what the pixel before them left.
        if ((below | belowNext) !== 0) {
          next[x0] += below;
          next[x0 + 1] += belowNext;
        }
        right = below = belowNext = 0;
        continue;
      }
    }
    let bits = 0;
    const x1 = x0 + 8 < width ? x0 + 8 : width;
    for (let x = x0; x < x1; x++) {
      const raw = grey[row + x];
      // The error this pixel passes on: none unless it is diffused.
      let err = 0;
      // TONE maps 235 and above to white and 20 and below to black.
      if (raw <= 20) {
        bits |= 0x80 >> (x & 7);
      } else if (raw < 235) {
        // Local contrast over the pixel and its four direct neighbours. Without branches (t >> 31
        // is −1 when t < 0): on a photo their outcome is random, and mispredictions cost most.
        const l = grey[row + (x > 0 ? x - 1 : 0)];
        const r = grey[row + (x < last ? x + 1 : last)];
        const u = grey[up + x];
        const d = grey[down + x];
        let t = l - raw;
        let mn = raw + (t & (t >> 31));
        let mx = l - (t & (t >> 31));
        t = r - mn;
        mn += t & (t >> 31);
        t = r - mx;
        mx = r - (t & (t >> 31));
        t = u - mn;
        mn += t & (t >> 31);
        t = u - mx;
        mx = u - (t & (t >> 31));
        t = d - mn;
        mn += t & (t >> 31);
        t = d - mx;
        mx = d - (t & (t >> 31));
        if (mx - mn >= EDGE_CONTRAST) {
          // An edge: black below the midpoint of its darkest and lightest neighbour.
          bits |= (0x80 >> (x & 7)) & ((raw - ((mn + mx) >> 1)) >> 31);
        } else {
          const v = TONE[raw] + ((cur[x + 1] + right + 8) >> 4);
          const black = (v - 128) >> 31;
          bits |= (0x80 >> (x & 7)) & black;
          err = v - (255 & ~black);
        }
      }
      // Floyd–Steinberg: 7/16 right, 3/16 below left, 5/16 below, 1/16 below right.
      right = err * 7;
      if ((below | belowNext | err) !== 0) {
        next[x] += below + err * 3;
        below = belowNext + err * 5;
        belowNext = err;
        dirty = true;
      }
    }
    out[outRow + group] = bits;
  }
  next[width] += below;
  return dirty;
}
