import { BLACK_TERMINATING, EXTENDED_MAKEUP, MODE, WHITE_TERMINATING, BLACK_MAKEUP, WHITE_MAKEUP } from '../../../src/conversion/raster/g4-codes';

/** A code's key: its length and its bits as a number. */
const key = (bits: string): number => bits.length * 65536 + parseInt(bits, 2);

/** The run-length codes (white, black) and the mode codes, by key. */
function codeTables(): { runs: Array<Map<number, number>>; modes: Map<number, string> } {
  const runTable = (term: string[], makeup: string[]): Map<number, number> => {
    const m = new Map<number, number>();
    term.forEach((c, run) => m.set(key(c), run));
    makeup.forEach((c, i) => m.set(key(c), (i + 1) * 64));
    EXTENDED_MAKEUP.forEach((c, i) => m.set(key(c), (i + 28) * 64));
    return m;
  };
  const runs = [runTable(WHITE_TERMINATING, WHITE_MAKEUP), runTable(BLACK_TERMINATING, BLACK_MAKEUP)];
  const modes = new Map<number, string>([
    [key(MODE.pass), 'P'],
    [key(MODE.horizontal), 'H'],
  ]);
  MODE.vertical.forEach((c, i) => modes.set(key(c), `V${i - 3}`));
  return { runs, modes };
}

/**
 * A plain, bit-by-bit T.6 decoder written from the recommendation for tests: obvious rather
 * than fast, so it can check the optimised encoder. Returns packed rows, 1 = black, like
 * FaxBitmap. A code read so far is its length and its bits as a number (a string of '0' and '1'
 * per bit made photo pages take seconds each).
 */
export function decodeG4(data: Uint8Array, width: number, height: number): Uint8Array {
  const { runs, modes } = codeTables();

  let bitPos = 0;
  const readBit = (): number => {
    const byte = bitPos >> 3;
    if (byte >= data.length) throw new Error(`G4 data ended at bit ${bitPos}`);
    const bit = (data[byte] >> (7 - (bitPos & 7))) & 1;
    bitPos++;
    return bit;
  };
  const readCode = (table: Map<number, unknown>, what: string): number => {
    let bits = 0;
    for (let length = 1; length <= 14; length++) {
      bits = (bits << 1) | readBit();
      if (table.has(length * 65536 + bits)) return length * 65536 + bits;
    }
    throw new Error(`invalid ${what} code ${bits.toString(2).padStart(14, '0')} at bit ${bitPos}`);
  };
  const readRun = (color: number): number => {
    let total = 0;
    for (;;) {
      const run = runs[color].get(readCode(runs[color], color ? 'black run' : 'white run'))!;
      total += run;
      if (run < 64) return total;
    }
  };

  const rowBytes = (width + 7) >> 3;
  const out = new Uint8Array(rowBytes * height);
  let ref: number[] = [];
  for (let y = 0; y < height; y++) {
    const cur: number[] = [];
    let a0 = -1;
    let color = 0;
    const refAt = (i: number): number => (i < ref.length ? ref[i] : width);
    // The first change on the reference row right of a0: a0 only moves right within a row.
    let right = 0;
    while (a0 < width) {
      while (refAt(right) <= a0) right++;
      let ib = right;
      if ((ib & 1) !== color) ib++;
      const b1 = refAt(ib);
      const b2 = refAt(ib + 1);
      const mode = modes.get(readCode(modes, 'mode'))!;
      if (mode === 'P') {
        a0 = b2;
      } else if (mode === 'H') {
        const start = a0 < 0 ? 0 : a0;
        const a1 = start + readRun(color);
        const a2 = a1 + readRun(color ^ 1);
        if (a1 > width || a2 > width) throw new Error(`run past the end of row ${y}`);
        cur.push(a1, a2);
        a0 = a2;
      } else {
        const a1 = b1 + Number(mode.slice(1));
        if (a1 < 0 || a1 > width || a1 <= a0) throw new Error(`vertical mode out of range on row ${y}`);
        cur.push(a1);
        a0 = a1;
        color ^= 1;
      }
    }
    ref = cur.filter((p) => p < width);
    let black = false;
    let from = 0;
    for (const p of [...ref, width]) {
      if (black) for (let x = from; x < p; x++) out[y * rowBytes + (x >> 3)] |= 0x80 >> (x & 7);
      black = !black;
      from = p;
    }
  }
  let eofb = '';
  for (let i = 0; i < 24; i++) eofb += String(readBit());
  if (eofb !== MODE.eofb) throw new Error(`expected EOFB after ${height} rows, got ${eofb}`);
  return out;
}
