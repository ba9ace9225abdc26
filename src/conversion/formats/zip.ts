/** What the tests and type detection need from a ZIP container: entry names and small stored entries. */
export interface ZipEntry {
  name: string;
  method: number;
  compressedSize: number;
  localHeader: number;
}

const EOCD = 0x06054b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;

/**
 * Lists the entries of a ZIP archive from its central directory, or returns null when the
 * archive is truncated or damaged (no end-of-central-directory record, or a bad entry).
 */
export function listZip(buf: Buffer): ZipEntry[] | null {
  // The end record is 22 bytes plus a comment of up to 65535 bytes.
  const earliest = Math.max(0, buf.length - 22 - 0xffff);
  let eocd = -1;
  for (let o = buf.length - 22; o >= earliest; o--) {
    if (buf.readUInt32LE(o) === EOCD) {
      eocd = o;
      break;
    }
  }
  if (eocd < 0) return null;
  const count = buf.readUInt16LE(eocd + 10);
  let o = buf.readUInt32LE(eocd + 16);
  const entries: ZipEntry[] = [];
  for (let i = 0; i < count; i++) {
    if (o + 46 > buf.length || buf.readUInt32LE(o) !== CENTRAL) return null;
    const nameLen = buf.readUInt16LE(o + 28);
    const extraLen = buf.readUInt16LE(o + 30);
    const commentLen = buf.readUInt16LE(o + 32);
    if (o + 46 + nameLen > buf.length) return null;
    entries.push({
      name: buf.toString('utf8', o + 46, o + 46 + nameLen),
      method: buf.readUInt16LE(o + 10),
      compressedSize: buf.readUInt32LE(o + 20),
      localHeader: buf.readUInt32LE(o + 42),
    });
    o += 46 + nameLen + extraLen + commentLen;
  }
  return entries;
}

/** The content of an uncompressed (stored) entry, or null. */
export function readStoredEntry(buf: Buffer, entry: ZipEntry): Buffer | null {
  const o = entry.localHeader;
  if (entry.method !== 0 || o + 30 > buf.length || buf.readUInt32LE(o) !== LOCAL) return null;
  const start = o + 30 + buf.readUInt16LE(o + 26) + buf.readUInt16LE(o + 28);
  const end = start + entry.compressedSize;
  return end <= buf.length ? buf.subarray(start, end) : null;
}
