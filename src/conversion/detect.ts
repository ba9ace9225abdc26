import { listZip, readStoredEntry } from './formats/zip';
import { decodeText } from './formats/text-decode';
import type { SourceType } from './formats/source-type';

const OLE2 = Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]);
const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
/** Sizes of the BMP info headers that exist (core, v1..v5): "BM" alone also starts plain text. */
const BMP_HEADER_SIZES = new Set([12, 40, 52, 56, 64, 108, 124]);

const startsWith = (buf: Buffer, magic: Buffer | string, at = 0): boolean => {
  const m = typeof magic === 'string' ? Buffer.from(magic, 'latin1') : magic;
  return buf.length >= at + m.length && buf.subarray(at, at + m.length).equals(m);
};

const utf16 = (s: string): Buffer => Buffer.from(s, 'utf16le');

/** Office documents in a ZIP container (OOXML, OpenDocument); null for any other archive. */
function zipType(buf: Buffer): SourceType | null {
  const entries = listZip(buf);
  if (!entries) return null;
  const names = new Set(entries.map((e) => e.name));
  if (names.has('word/document.xml') && names.has('[Content_Types].xml')) return 'docx';
  const mimetype = entries.find((e) => e.name === 'mimetype');
  const declared = mimetype ? readStoredEntry(buf, mimetype)?.toString('latin1') : undefined;
  if (declared === 'application/vnd.oasis.opendocument.text' && names.has('content.xml')) return 'odt';
  return null;
}

/**
 * The format of a document from its content (magic bytes, and the entries of ZIP and OLE2
 * containers), never from its name or a browser's Content-Type. Null when it is no format
 * Durafax accepts: executables, archives, spreadsheets, unknown binaries.
 */
export function detectType(buf: Buffer): SourceType | null {
  if (buf.length === 0) return null;
  // PDF readers accept the header anywhere in the first kilobyte.
  if (buf.subarray(0, 1024).includes('%PDF-')) return 'pdf';
  if (startsWith(buf, PNG)) return 'png';
  if (startsWith(buf, Buffer.from([0xff, 0xd8, 0xff]))) return 'jpeg';
  if (startsWith(buf, 'GIF87a') || startsWith(buf, 'GIF89a')) return 'gif';
  if (startsWith(buf, 'II*\0') || startsWith(buf, 'MM\0*')) return 'tiff';
  if (startsWith(buf, 'RIFF') && startsWith(buf, 'WEBP', 8)) return 'webp';
  if (startsWith(buf, 'BM') && buf.length >= 26 && BMP_HEADER_SIZES.has(buf.readUInt32LE(14))) return 'bmp';
  if (startsWith(buf, 'PK\x03\x04')) return zipType(buf);
  if (startsWith(buf, OLE2)) {
    // Word 97–2003 keeps its text in a "WordDocument" stream; password-protected OOXML is
    // also an OLE2 file (EncryptedPackage) and is reported as encrypted later.
    if (buf.includes(utf16('WordDocument')) || buf.includes(utf16('EncryptedPackage'))) return 'doc';
    return null;
  }
  if (startsWith(buf, '{\\rtf')) return 'rtf';
  return decodeText(buf) !== null ? 'text' : null;
}

/** True for a password-protected Office file (an OOXML package encrypted inside OLE2). */
export function isEncryptedOffice(buf: Buffer): boolean {
  return startsWith(buf, OLE2) && buf.includes(utf16('EncryptedPackage')) && buf.includes(utf16('EncryptionInfo'));
}

/** True when the bytes are a ZIP archive whose directory cannot be read (truncated or damaged). */
export function isBrokenZip(buf: Buffer): boolean {
  return startsWith(buf, 'PK\x03\x04') && listZip(buf) === null;
}
