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
 * bulk of a document page. Pixels go eight at a time, one output byte: a group of eight white
 * pixels is two 32-bit words of all ones and is skipped without looking at single pixels.
 */
export function ditherToBitmap(grey: Uint8Array, width: number, height: number): FaxBitmap {
  if (grey.length < width * height) throw new RangeError('grey buffer smaller than width × height');
  const bitmap = createBitmap(width, height);
  const out = bitmap.data;
  const rowBytes = bitmap.rowBytes;
  // Diffusion error ×16 (so the 7/3/5/1 sixteenths stay integers), one pixel of padding each side.
  let cur = new Int16Array(width + 2);
  let next = new Int16Array(width + 2);
  let nextDirty = false;
  // Signed words, so "all white" is −1: small integers stay small integers in the JIT.
  const words = grey.byteOffset % 4 === 0 && width % 8 === 0 ? new Int32Array(grey.buffer, grey.byteOffset, (width * height) >> 2) : null;
  const last = width - 1;
  // Rows of a document page are mostly blank: one native comparison skips a whole white row.
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
    const up = y > 0 ? row - width : row;
    const down = y < height - 1 ? row + width : row;
    const outRow = y * rowBytes;
    for (let group = 0; group < rowBytes; group++) {
      const x0 = group << 3;
      if (words !== null) {
        const w = (row + x0) >> 2;
        if ((words[w] & words[w + 1]) === -1) continue;
      }
      let bits = 0;
      const x1 = x0 + 8 < width ? x0 + 8 : width;
      for (let x = x0; x < x1; x++) {
        const raw = grey[row + x];
        // TONE maps 235 and above to white and 20 and below to black.
        if (raw >= 235) continue;
        const bit = 0x80 >> (x & 7);
        if (raw <= 20) {
          bits |= bit;
          continue;
        }
        // Local contrast over the pixel and its four direct neighbours.
        const l = grey[row + (x > 0 ? x - 1 : 0)];
        const r = grey[row + (x < last ? x + 1 : last)];
        const u = grey[up + x];
        const d = grey[down + x];
        let mn = raw;
        let mx = raw;
        if (l < mn) mn = l;
        else if (l > mx) mx = l;
        if (r < mn) mn = r;
        else if (r > mx) mx = r;
        if (u < mn) mn = u;
        else if (u > mx) mx = u;
        if (d < mn) mn = d;
        else if (d > mx) mx = d;
        if (mx - mn >= EDGE_CONTRAST) {
          if (raw < (mn + mx) >> 1) bits |= bit;
          continue;
        }
        const v = TONE[raw] + ((cur[x + 1] + 8) >> 4);
        let err: number;
        if (v < 128) {
          bits |= bit;
          err = v;
        } else {
          err = v - 255;
        }
        cur[x + 2] += err * 7;
        next[x] += err * 3;
        next[x + 1] += err * 5;
        next[x + 2] += err;
        nextDirty = true;
      }
      out[outRow + group] = bits;
    }
  }
  return bitmap;
}
