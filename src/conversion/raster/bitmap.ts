/**
 * One fax page as a 1-bit image: rows packed most significant bit first, 1 = black. This is
 * the bit order of TIFF min-is-white with FillOrder 1, so the G4 encoder, the TIFF and the
 * PDF all read the same bytes.
 */
export interface FaxBitmap {
  width: number;
  height: number;
  /** Bytes per packed row (width rounded up to whole bytes). */
  rowBytes: number;
  data: Uint8Array;
}

export function createBitmap(width: number, height: number): FaxBitmap {
  const rowBytes = (width + 7) >> 3;
  return { width, height, rowBytes, data: new Uint8Array(rowBytes * height) };
}

/** Set bits per byte value, for counting black pixels without looping over bits. */
const POPCOUNT = ((): Uint8Array => {
  const table = new Uint8Array(256);
  for (let i = 1; i < 256; i++) table[i] = (i & 1) + table[i >> 1];
  return table;
})();

/** Share of black pixels, 0..1. Padding bits past the width are always 0, so they do not count. */
export function blackRatio(bitmap: FaxBitmap): number {
  const { data } = bitmap;
  let black = 0;
  for (let i = 0; i < data.length; i++) black += POPCOUNT[data[i]];
  return black / (bitmap.width * bitmap.height);
}
