import { POPCOUNT, type FaxBitmap } from './bitmap';
import { FAX_DPI_X, FAX_DPI_Y } from './paper';

/**
 * A small grey image of a fax page: each thumbnail pixel averages one byte column (8 pixels
 * across) over the rows it covers, which also squares the 204×196 dpi pixels. Width is the
 * bitmap's row bytes (216 for a fax page). Counts the black pixels on the way.
 */
export function thumbnailPixels(bitmap: FaxBitmap): { pixels: Uint8Array; width: number; height: number; blackPixels: number } {
  const { rowBytes, height: rows, data } = bitmap;
  let blackPixels = 0;
  const width = rowBytes;
  // Rows of the bitmap per thumbnail row, chosen so thumbnail pixels are square.
  const rowsPer = (8 * FAX_DPI_Y) / FAX_DPI_X;
  const height = Math.max(1, Math.round(rows / rowsPer));
  const pixels = new Uint8Array(width * height);
  const sums = new Uint32Array(width);
  const words = (rowBytes & 3) === 0 && (data.byteOffset & 3) === 0 ? new Uint32Array(data.buffer, data.byteOffset, data.byteLength >> 2) : null;
  for (let ty = 0; ty < height; ty++) {
    const from = Math.floor(ty * rowsPer);
    // The last thumbnail row takes whatever rows remain, so every row is counted once.
    const to = ty === height - 1 ? rows : Math.min(rows, Math.max(from + 1, Math.floor((ty + 1) * rowsPer)));
    sums.fill(0);
    for (let y = from; y < to; y++) {
      const off = y * rowBytes;
      if (words !== null) {
        // Skip white stretches four bytes at a time.
        for (let w = off >> 2, end = (off + rowBytes) >> 2; w < end; w++) {
          if (words[w] === 0) continue;
          const i = (w << 2) - off;
          sums[i] += POPCOUNT[data[off + i]];
          sums[i + 1] += POPCOUNT[data[off + i + 1]];
          sums[i + 2] += POPCOUNT[data[off + i + 2]];
          sums[i + 3] += POPCOUNT[data[off + i + 3]];
        }
      } else {
        for (let i = 0; i < rowBytes; i++) sums[i] += POPCOUNT[data[off + i]];
      }
    }
    const total = 8 * (to - from);
    for (let i = 0; i < width; i++) {
      blackPixels += sums[i];
      pixels[ty * width + i] = 255 - Math.round((255 * sums[i]) / total);
    }
  }
  return { pixels, width, height, blackPixels };
}
