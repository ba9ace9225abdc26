/** Black share of each 16 × 16 block of a fax page's bitmap (1728 pixels across, packed rows, 1 = black). */
export function blockTonesOf(bits: Uint8Array, rows: number): number[] {
  const tones: number[] = [];
  for (let by = 0; by + 16 <= rows; by += 16) {
    for (let bx = 0; bx < 1728; bx += 16) {
      let black = 0;
      for (let y = by; y < by + 16; y++) for (let x = bx; x < bx + 16; x++) black += (bits[y * 216 + (x >> 3)] >> (7 - (x & 7))) & 1;
      tones.push(black / 256);
    }
  }
  return tones;
}
