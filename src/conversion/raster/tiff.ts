import { FAX_DPI_X, FAX_DPI_Y } from './paper';

/** One page already encoded as CCITT Group 4. */
export interface G4Page {
  width: number;
  height: number;
  g4: Uint8Array;
}

const SHORT = 3;
const LONG = 4;
const RATIONAL = 5;
const ASCII = 2;

const SOFTWARE = 'Durafax\0';

interface Entry {
  tag: number;
  type: number;
  count: number;
  /** Inline value(s) for SHORT/LONG; byte offset of the out-of-line data otherwise. */
  values: number[];
}

/**
 * Writes a multi-page TIFF Class F (RFC 2306): little-endian, one image file directory per
 * page with a single G4 strip, 1 bit per sample, min-is-white, 204×196 dpi, PageNumber
 * "n of total" and NewSubfileType "page".
 */
export function writeTiffF(pages: G4Page[]): Buffer {
  const ifdSize = (entries: number): number => 2 + entries * 12 + 4;
  const ENTRIES = 18;
  // Per page: strip, then IFD, then its out-of-line values (two rationals, the software name).
  let size = 8;
  const layout = pages.map((p) => {
    const strip = size;
    size += p.g4.length;
    size += size & 1; // IFDs start on a word boundary
    const ifd = size;
    size += ifdSize(ENTRIES);
    const xres = size;
    const yres = xres + 8;
    const software = yres + 8;
    size = software + SOFTWARE.length;
    size += size & 1;
    return { strip, ifd, xres, yres, software };
  });

  const buf = Buffer.alloc(size);
  buf.write('II', 0, 'latin1');
  buf.writeUInt16LE(42, 2);
  buf.writeUInt32LE(layout.length > 0 ? layout[0].ifd : 0, 4);

  pages.forEach((page, i) => {
    const at = layout[i];
    buf.set(page.g4, at.strip);
    const entries: Entry[] = [
      { tag: 254, type: LONG, count: 1, values: [2] }, // NewSubfileType: one page of a multi-page document
      { tag: 256, type: LONG, count: 1, values: [page.width] },
      { tag: 257, type: LONG, count: 1, values: [page.height] },
      { tag: 258, type: SHORT, count: 1, values: [1] }, // BitsPerSample
      { tag: 259, type: SHORT, count: 1, values: [4] }, // Compression: CCITT T.6
      { tag: 262, type: SHORT, count: 1, values: [0] }, // PhotometricInterpretation: min-is-white
      { tag: 266, type: SHORT, count: 1, values: [1] }, // FillOrder: most significant bit first
      { tag: 273, type: LONG, count: 1, values: [at.strip] }, // StripOffsets
      { tag: 277, type: SHORT, count: 1, values: [1] }, // SamplesPerPixel
      { tag: 278, type: LONG, count: 1, values: [page.height] }, // RowsPerStrip: one strip per page
      { tag: 279, type: LONG, count: 1, values: [page.g4.length] }, // StripByteCounts
      { tag: 282, type: RATIONAL, count: 1, values: [at.xres] }, // XResolution
      { tag: 283, type: RATIONAL, count: 1, values: [at.yres] }, // YResolution
      { tag: 293, type: LONG, count: 1, values: [0] }, // T6Options
      { tag: 296, type: SHORT, count: 1, values: [2] }, // ResolutionUnit: inch
      { tag: 297, type: SHORT, count: 2, values: [i, pages.length] }, // PageNumber (0-based), total
      { tag: 305, type: ASCII, count: SOFTWARE.length, values: [at.software] },
      { tag: 327, type: SHORT, count: 1, values: [0] }, // CleanFaxData: no damaged lines
    ];
    if (entries.length !== ENTRIES) throw new Error('TIFF directory size mismatch');
    let o = at.ifd;
    buf.writeUInt16LE(entries.length, o);
    o += 2;
    for (const e of entries) {
      buf.writeUInt16LE(e.tag, o);
      buf.writeUInt16LE(e.type, o + 2);
      buf.writeUInt32LE(e.count, o + 4);
      if (e.type === SHORT) e.values.forEach((v, k) => buf.writeUInt16LE(v, o + 8 + 2 * k));
      else buf.writeUInt32LE(e.values[0], o + 8);
      o += 12;
    }
    buf.writeUInt32LE(i + 1 < layout.length ? layout[i + 1].ifd : 0, o);
    buf.writeUInt32LE(FAX_DPI_X, at.xres);
    buf.writeUInt32LE(1, at.xres + 4);
    buf.writeUInt32LE(FAX_DPI_Y, at.yres);
    buf.writeUInt32LE(1, at.yres + 4);
    buf.write(SOFTWARE, at.software, 'latin1');
  });
  return buf;
}
