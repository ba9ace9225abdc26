import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { PDFDocument, PDFName, StandardFonts, rgb } from 'pdf-lib';
import { patternPixels } from './pattern';

/** Test documents, made by the tests themselves. */

const root = path.resolve(__dirname, '../../..');
const hook = path.join(root, 'src/conversion/child/register-ts.js');

/** Runs corpus-child.ts (MuPDF, libwebp) in a child process. */
function corpusChild(...args: string[]): void {
  execFileSync(process.execPath, ['-r', hook, path.join(__dirname, 'corpus-child.ts'), ...args], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 60_000 });
}

export function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'durafax-test-corpus-'));
}

/** An image made by MuPDF (png, jpeg) or libwebp (webp) in a child process. */
export function imageFile(kind: 'png' | 'png-alpha' | 'jpeg' | 'webp', width: number, height: number): Buffer {
  const dir = tempDir();
  try {
    const out = path.join(dir, 'image');
    if (kind === 'png-alpha') corpusChild('png', out, String(width), String(height), 'alpha');
    else corpusChild(kind, out, String(width), String(height));
    return fs.readFileSync(out);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export interface PageSpec {
  size: [number, number];
  /** Draws a black square of this size (pt) in the top-left corner, 40 pt in. */
  marker?: number;
  /** Fills this rectangle ([x, y from top, w, h] in pt) with 50 % grey. */
  grey?: [number, number, number, number];
  text?: string;
  black?: boolean;
  blank?: boolean;
}

/** A PDF with pdf-lib: each page may carry a corner marker, a grey area, text, or be all black. */
export async function pdf(pages: PageSpec[]): Promise<Buffer> {
  const doc = await PDFDocument.create();
  const font = await doc.embedFont(StandardFonts.Helvetica);
  for (const spec of pages) {
    const page = doc.addPage(spec.size);
    const [, h] = spec.size;
    if (spec.black) page.drawRectangle({ x: 0, y: 0, width: spec.size[0], height: h, color: rgb(0, 0, 0) });
    if (spec.marker) page.drawRectangle({ x: 40, y: h - 40 - spec.marker, width: spec.marker, height: spec.marker, color: rgb(0, 0, 0) });
    if (spec.grey) {
      const [x, top, w, gh] = spec.grey;
      page.drawRectangle({ x, y: h - top - gh, width: w, height: gh, color: rgb(0.5, 0.5, 0.5) });
    }
    if (spec.text) page.drawText(spec.text, { x: 60, y: h - 200, size: 12, font });
    if (!spec.blank && !spec.black && !spec.marker && !spec.grey && !spec.text) page.drawText('Page', { x: 60, y: h - 100, size: 24, font });
  }
  return Buffer.from(await doc.save());
}

export const A4: [number, number] = [595.28, 841.89];
export const LETTER: [number, number] = [612, 792];

export async function textPdf(pageCount: number): Promise<Buffer> {
  return pdf(Array.from({ length: pageCount }, (_, i) => ({ size: A4, text: `Page ${i + 1}` })));
}

/** A PDF whose one page shows an image XObject that declares 100000 × 100000 pixels. */
export async function pdfWithHugeImage(): Promise<Buffer> {
  const doc = await PDFDocument.create();
  const page = doc.addPage(A4);
  const image = doc.context.register(
    doc.context.flateStream(new Uint8Array(64), {
      Type: 'XObject',
      Subtype: 'Image',
      Width: 100000,
      Height: 100000,
      ColorSpace: 'DeviceGray',
      BitsPerComponent: 8,
    }),
  );
  page.node.setXObject(PDFName.of('Im0'), image);
  const content = doc.context.register(doc.context.flateStream('q 500 0 0 500 40 40 cm /Im0 Do Q'));
  page.node.set(PDFName.of('Contents'), content);
  return Buffer.from(await doc.save());
}

/** An encrypted PDF (AES-256, user password), written by MuPDF. */
export async function encryptedPdf(): Promise<Buffer> {
  const dir = tempDir();
  try {
    fs.writeFileSync(path.join(dir, 'in.pdf'), await textPdf(1));
    corpusChild('encrypt-pdf', path.join(dir, 'in.pdf'), path.join(dir, 'out.pdf'));
    return fs.readFileSync(path.join(dir, 'out.pdf'));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Renders every page of a PDF with MuPDF to 1-bit rows (an independent reader of the carrier PDF). */
export function renderPdfWithMupdf(file: Buffer, rows: number): Array<{ width: number; height: number; data: Buffer }> {
  const dir = tempDir();
  try {
    fs.writeFileSync(path.join(dir, 'in.pdf'), file);
    corpusChild('render-pdf', path.join(dir, 'in.pdf'), path.join(dir, 'out.json'), String(rows));
    const pages = JSON.parse(fs.readFileSync(path.join(dir, 'out.json'), 'utf8')) as Array<{ width: number; height: number; data: string }>;
    return pages.map((p) => ({ ...p, data: Buffer.from(p.data, 'base64') }));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** An uncompressed 24-bit BMP of the test pattern (rows bottom-up, padded to 4 bytes). */
export function bmp(width: number, height: number): Buffer {
  const grey = patternPixels(width, height);
  const rowBytes = Math.ceil((width * 3) / 4) * 4;
  const buf = Buffer.alloc(54 + rowBytes * height);
  buf.write('BM', 0, 'latin1');
  buf.writeUInt32LE(buf.length, 2);
  buf.writeUInt32LE(54, 10);
  buf.writeUInt32LE(40, 14);
  buf.writeInt32LE(width, 18);
  buf.writeInt32LE(height, 22);
  buf.writeUInt16LE(1, 26);
  buf.writeUInt16LE(24, 28);
  buf.writeUInt32LE(rowBytes * height, 34);
  for (let y = 0; y < height; y++) {
    const o = 54 + (height - 1 - y) * rowBytes;
    for (let x = 0; x < width; x++) buf.fill(grey[y * width + x], o + x * 3, o + x * 3 + 3);
  }
  return buf;
}

/** An uncompressed 8-bit greyscale TIFF with one page per entry (little-endian, strip per page). */
export function tiff(pages: Array<{ width: number; height: number }>): Buffer {
  const parts: Buffer[] = [Buffer.alloc(8)];
  let offset = 8;
  const header = parts[0];
  header.write('II', 0, 'latin1');
  header.writeUInt16LE(42, 2);
  header.writeUInt32LE(8, 4);
  pages.forEach((p, i) => {
    const pixels = Buffer.from(patternPixels(p.width, p.height));
    const entries: Array<[number, number, number]> = [
      [256, 4, p.width],
      [257, 4, p.height],
      [258, 3, 8],
      [259, 3, 1],
      [262, 3, 1],
      [273, 4, 0],
      [277, 3, 1],
      [278, 4, p.height],
      [279, 4, pixels.length],
    ];
    const ifd = Buffer.alloc(2 + entries.length * 12 + 4);
    const dataAt = offset + ifd.length;
    ifd.writeUInt16LE(entries.length, 0);
    entries.forEach(([tag, type, value], k) => {
      ifd.writeUInt16LE(tag, 2 + k * 12);
      ifd.writeUInt16LE(type, 4 + k * 12);
      ifd.writeUInt32LE(1, 6 + k * 12);
      const v = tag === 273 ? dataAt : value;
      if (type === 3) ifd.writeUInt16LE(v, 10 + k * 12);
      else ifd.writeUInt32LE(v, 10 + k * 12);
    });
    const next = i + 1 < pages.length ? dataAt + pixels.length + (pixels.length & 1) : 0;
    ifd.writeUInt32LE(next, 2 + entries.length * 12);
    parts.push(ifd, pixels, Buffer.alloc(pixels.length & 1));
    offset = dataAt + pixels.length + (pixels.length & 1);
  });
  return Buffer.concat(parts);
}

/**
 * A GIF of the test pattern with a grey palette. The LZW stream holds only literal codes,
 * with a clear code before the code size would grow: valid, if not compressed.
 */
export function gif(width: number, height: number): Buffer {
  const grey = patternPixels(width, height);
  const palette = Buffer.alloc(256 * 3);
  for (let i = 0; i < 256; i++) palette.fill(i, i * 3, i * 3 + 3);
  const codes: number[] = [256];
  let sinceClear = 0;
  for (const v of grey) {
    if (sinceClear === 254) {
      codes.push(256);
      sinceClear = 0;
    }
    codes.push(v);
    sinceClear++;
  }
  codes.push(257);
  // 9-bit codes, least significant bit first.
  const bytes: number[] = [];
  let acc = 0;
  let bits = 0;
  for (const c of codes) {
    acc |= c << bits;
    bits += 9;
    while (bits >= 8) {
      bytes.push(acc & 0xff);
      acc >>>= 8;
      bits -= 8;
    }
  }
  if (bits > 0) bytes.push(acc & 0xff);
  const blocks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += 255) {
    const chunk = bytes.slice(i, i + 255);
    blocks.push(Buffer.from([chunk.length, ...chunk]));
  }
  const screen = Buffer.alloc(7);
  screen.writeUInt16LE(width, 0);
  screen.writeUInt16LE(height, 2);
  screen[4] = 0xf7; // global colour table of 256 entries
  const descriptor = Buffer.alloc(10);
  descriptor[0] = 0x2c;
  descriptor.writeUInt16LE(width, 5);
  descriptor.writeUInt16LE(height, 7);
  return Buffer.concat([Buffer.from('GIF89a', 'latin1'), screen, palette, descriptor, Buffer.from([8]), ...blocks, Buffer.from([0, 0x3b])]);
}

/** A PNG whose header claims 100000 × 100000 pixels, with a few bytes of data: a decompression bomb. */
export function bombPng(): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(100000, 0);
  ihdr.writeUInt32BE(100000, 4);
  ihdr[8] = 8;
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', zlib.deflateSync(Buffer.alloc(100001))),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A ZIP archive with stored (uncompressed) entries, in the given order. */
export function zip(entries: Array<[string, string]>): Buffer {
  return zipArchive(entries.map(([name, content]) => ({ name, data: Buffer.from(content, 'utf8') })));
}

/**
 * A ZIP archive of the entries, in the given order: stored, or deflated with `deflate`;
 * `declared` overrides an entry's stated uncompressed size (a header that lies).
 */
export function zipArchive(entries: Array<{ name: string; data: Buffer; deflate?: boolean; declared?: number }>): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const { name, data, deflate = false, declared } of entries) {
    const packed = deflate ? zlib.deflateRawSync(data, { level: 9 }) : data;
    const method = deflate ? 8 : 0;
    const nameBuf = Buffer.from(name, 'utf8');
    const size = declared ?? data.length;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(method, 8);
    local.writeUInt32LE(crc32(data), 14);
    local.writeUInt32LE(packed.length, 18);
    local.writeUInt32LE(size, 22);
    local.writeUInt16LE(nameBuf.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(method, 10);
    central.writeUInt32LE(crc32(data), 16);
    central.writeUInt32LE(packed.length, 20);
    central.writeUInt32LE(size, 24);
    central.writeUInt16LE(nameBuf.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, nameBuf, packed);
    centrals.push(central, nameBuf);
    offset += 30 + nameBuf.length + packed.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

/** One PNG chunk: length, type, data and its CRC. */
export function pngChunk(type: string, data: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const out = Buffer.alloc(body.length + 8);
  out.writeUInt32BE(data.length, 0);
  body.copy(out, 4);
  out.writeUInt32BE(crc32(body), body.length + 4);
  return out;
}

/** CRC-32 as ZIP and PNG use it. */
export function crc32(b: Buffer): number {
  let c = 0xffffffff;
  for (const x of b) c = CRC_TABLE[(c ^ x) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** A minimal Word document (OOXML) with the given paragraphs. */
export function docx(paragraphs: string[]): Buffer {
  const body = paragraphs.map((p) => `<w:p><w:r><w:t xml:space="preserve">${p}</w:t></w:r></w:p>`).join('');
  return zip([
    [
      '[Content_Types].xml',
      '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">' +
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>' +
        '<Default Extension="xml" ContentType="application/xml"/>' +
        '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>',
    ],
    [
      '_rels/.rels',
      '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">' +
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>',
    ],
    [
      'word/document.xml',
      `<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>${body}</w:body></w:document>`,
    ],
  ]);
}

/** A minimal OpenDocument text: the mimetype entry first and stored, as the format requires. */
export function odt(paragraphs: string[]): Buffer {
  const body = paragraphs.map((p) => `<text:p>${p}</text:p>`).join('');
  return zip([
    ['mimetype', 'application/vnd.oasis.opendocument.text'],
    [
      'content.xml',
      '<?xml version="1.0" encoding="UTF-8"?><office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" ' +
        `xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2"><office:body><office:text>${body}</office:text></office:body></office:document-content>`,
    ],
    [
      'META-INF/manifest.xml',
      '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">' +
        '<manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.text"/>' +
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>',
    ],
  ]);
}

/** The first bytes of a Linux executable, padded: what a renamed program looks like. */
export function elf(): Buffer {
  const buf = Buffer.alloc(4096);
  Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]).copy(buf);
  for (let i = 64; i < buf.length; i++) buf[i] = (i * 7919) & 0xff;
  return buf;
}

/** An OLE2 file with the streams of a password-protected Office document (no real content). */
export function encryptedOffice(): Buffer {
  const buf = Buffer.alloc(2048);
  Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]).copy(buf);
  Buffer.from('EncryptionInfo', 'utf16le').copy(buf, 1024);
  Buffer.from('EncryptedPackage', 'utf16le').copy(buf, 1152);
  return buf;
}
