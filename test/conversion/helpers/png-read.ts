import zlib from 'node:zlib';

/**
 * A minimal PNG reader for the PNGs this project writes: greyscale (8 bit) or two-colour
 * palette (1 bit). `palette` holds the palette's grey levels when there is one.
 */
export interface DecodedPng {
  width: number;
  height: number;
  bitDepth: number;
  /** Unfiltered rows, without filter bytes. */
  rows: Uint8Array;
  rowBytes: number;
  chunks: string[];
  phys?: { x: number; y: number };
  palette?: number[];
}

export function readPng(buf: Buffer): DecodedPng {
  if (buf.readUInt32BE(0) !== 0x89504e47) throw new Error('not a PNG');
  let o = 8;
  let width = 0;
  let height = 0;
  let bitDepth = 0;
  let colorType = -1;
  let phys: DecodedPng['phys'];
  let palette: number[] | undefined;
  const idat: Buffer[] = [];
  const chunks: string[] = [];
  while (o < buf.length) {
    const len = buf.readUInt32BE(o);
    const type = buf.toString('latin1', o + 4, o + 8);
    const data = buf.subarray(o + 8, o + 8 + len);
    chunks.push(type);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      bitDepth = data[8];
      colorType = data[9];
    } else if (type === 'IDAT') idat.push(data);
    else if (type === 'pHYs') phys = { x: data.readUInt32BE(0), y: data.readUInt32BE(4) };
    else if (type === 'PLTE') {
      palette = [];
      for (let i = 0; i + 2 < data.length; i += 3) {
        if (data[i] !== data[i + 1] || data[i] !== data[i + 2]) throw new Error('palette is not grey');
        palette.push(data[i]);
      }
    }
    o += 12 + len;
  }
  if (colorType !== 0 && colorType !== 3) throw new Error(`colour type ${colorType} not handled`);
  if ((colorType === 3) !== (palette !== undefined)) throw new Error('palette and colour type disagree');
  const raw = zlib.inflateSync(Buffer.concat(idat));
  const rowBytes = Math.ceil((width * bitDepth) / 8);
  const bpp = Math.max(1, bitDepth / 8);
  const rows = new Uint8Array(rowBytes * height);
  for (let y = 0; y < height; y++) {
    const f = raw[y * (rowBytes + 1)];
    for (let i = 0; i < rowBytes; i++) {
      const x = raw[y * (rowBytes + 1) + 1 + i];
      const a = i >= bpp ? rows[y * rowBytes + i - bpp] : 0;
      const b = y > 0 ? rows[(y - 1) * rowBytes + i] : 0;
      const c = i >= bpp && y > 0 ? rows[(y - 1) * rowBytes + i - bpp] : 0;
      let v: number;
      if (f === 0) v = x;
      else if (f === 1) v = x + a;
      else if (f === 2) v = x + b;
      else if (f === 3) v = x + ((a + b) >> 1);
      else {
        const p = a + b - c;
        const pa = Math.abs(p - a);
        const pb = Math.abs(p - b);
        const pc = Math.abs(p - c);
        v = x + (pa <= pb && pa <= pc ? a : pb <= pc ? b : c);
      }
      rows[y * rowBytes + i] = v & 0xff;
    }
  }
  return { width, height, bitDepth, rows, rowBytes, chunks, phys, palette };
}
