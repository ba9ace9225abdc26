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
 * bulk of a document page and are skipped four at a time, which keeps this pass cheap.
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
  // Whole words of white are skipped without looking at single pixels; that needs aligned rows.
  const aligned = grey.byteOffset % 4 === 0 && width % 4 === 0;
  const words = aligned ? new Uint32Array(grey.buffer, grey.byteOffset, (width * height) >> 2) : null;
  const step = aligned ? 4 : 1;
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
    for (let start = 0; start < width; start += step) {
      if (words !== null && words[(row + start) >> 2] === 0xffffffff) continue;
      for (let x = start; x < start + step; x++) {
        const raw = grey[row + x];
        // TONE maps 235 and above to white and 20 and below to black.
        if (raw >= 235) continue;
        if (raw <= 20) {
          out[outRow + (x >> 3)] |= 0x80 >> (x & 7);
          continue;
        }
        // Local contrast over the pixel and its four direct neighbours.
        const l = grey[row + (x > 0 ? x - 1 : 0)];
        const r = grey[row + (x < last ? x + 1 : last)];
        const u = grey[up + x];
        const d = grey[down + x];
        const mn = Math.min(raw, l, r, u, d);
        const mx = Math.max(raw, l, r, u, d);
        if (mx - mn >= EDGE_CONTRAST) {
          if (raw < (mn + mx) >> 1) out[outRow + (x >> 3)] |= 0x80 >> (x & 7);
          continue;
        }
        const p = TONE[raw];
        const v = p + ((cur[x + 1] + 8) >> 4);
        let err: number;
        if (v < 128) {
          out[outRow + (x >> 3)] |= 0x80 >> (x & 7);
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
    }
  }
  return bitmap;
}
