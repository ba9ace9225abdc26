/** A minimal TIFF reader for tests: every IFD with its tags' values. */
export interface TiffDirectory {
  tags: Map<number, number[] | string>;
  /** The bytes of the first strip. */
  strip: Uint8Array;
}

export function readTiff(buf: Buffer): TiffDirectory[] {
  const le = buf.toString('latin1', 0, 2) === 'II';
  if (!le && buf.toString('latin1', 0, 2) !== 'MM') throw new Error('not a TIFF');
  const u16 = (o: number): number => (le ? buf.readUInt16LE(o) : buf.readUInt16BE(o));
  const u32 = (o: number): number => (le ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
  if (u16(2) !== 42) throw new Error('bad TIFF magic');
  const dirs: TiffDirectory[] = [];
  let ifd = u32(4);
  const seen = new Set<number>();
  while (ifd !== 0) {
    if (seen.has(ifd)) throw new Error('IFD loop');
    seen.add(ifd);
    const n = u16(ifd);
    const tags = new Map<number, number[] | string>();
    for (let i = 0; i < n; i++) {
      const e = ifd + 2 + i * 12;
      const tag = u16(e);
      const type = u16(e + 2);
      const count = u32(e + 4);
      const size = { 1: 1, 2: 1, 3: 2, 4: 4, 5: 8 }[type as 1 | 2 | 3 | 4 | 5] ?? 1;
      const at = count * size > 4 ? u32(e + 8) : e + 8;
      if (type === 2) tags.set(tag, buf.toString('latin1', at, at + count));
      else {
        const values: number[] = [];
        for (let k = 0; k < count; k++) {
          if (type === 3) values.push(u16(at + 2 * k));
          else if (type === 4) values.push(u32(at + 4 * k));
          else if (type === 5) values.push(u32(at + 8 * k) / u32(at + 8 * k + 4));
          else values.push(buf[at + k]);
        }
        tags.set(tag, values);
      }
    }
    const offsets = tags.get(273) as number[];
    const counts = tags.get(279) as number[];
    dirs.push({ tags, strip: buf.subarray(offsets[0], offsets[0] + counts[0]) });
    ifd = u32(ifd + 2 + n * 12);
  }
  return dirs;
}
