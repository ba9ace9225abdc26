import type { Paper } from './paper';
import type { G4Page } from './tiff';

/**
 * Writes the carrier PDF: one page per fax page, each the size of the paper and filled by
 * exactly the G4 image of the TIFF (/CCITTFaxDecode, /K -1), so a carrier that rasterises
 * it at fax resolution gets back the bitmap the sender previewed. Written by hand: it is
 * a few fixed objects, and the output is byte-for-byte deterministic.
 */
export function writeFaxPdf(pages: G4Page[], paper: Paper): Buffer {
  const chunks: Buffer[] = [];
  const offsets: number[] = [];
  let length = 0;
  const push = (b: Buffer): void => {
    chunks.push(b);
    length += b.length;
  };
  const text = (s: string): void => push(Buffer.from(s, 'latin1'));
  const object = (num: number, body: string, stream?: Uint8Array): void => {
    offsets[num] = length;
    text(`${num} 0 obj\n${body}\n`);
    if (stream) {
      text('stream\n');
      push(Buffer.from(stream.buffer, stream.byteOffset, stream.byteLength));
      text('\nendstream\n');
    }
    text('endobj\n');
  };
  const w = fmt(paper.widthPt);
  const h = fmt(paper.heightPt);

  text('%PDF-1.4\n%\xe2\xe3\xcf\xd3\n');
  // Objects: 1 catalog, 2 page tree, 3 info, then per page: page, content, image.
  const pageNum = (i: number): number => 4 + i * 3;
  object(1, '<< /Type /Catalog /Pages 2 0 R >>');
  object(2, `<< /Type /Pages /Kids [${pages.map((_, i) => `${pageNum(i)} 0 R`).join(' ')}] /Count ${pages.length} >>`);
  object(3, '<< /Producer (Durafax) >>');
  pages.forEach((p, i) => {
    const n = pageNum(i);
    const content = Buffer.from(`q ${w} 0 0 ${h} 0 0 cm /Fax Do Q\n`, 'latin1');
    object(n, `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 ${w} ${h}] /Resources << /XObject << /Fax ${n + 2} 0 R >> >> /Contents ${n + 1} 0 R >>`);
    object(n + 1, `<< /Length ${content.length} >>`, content);
    object(
      n + 2,
      `<< /Type /XObject /Subtype /Image /Width ${p.width} /Height ${p.height} /ColorSpace /DeviceGray /BitsPerComponent 1` +
        ` /Filter /CCITTFaxDecode /DecodeParms << /K -1 /Columns ${p.width} /Rows ${p.height} /BlackIs1 false >> /Length ${p.g4.length} >>`,
      p.g4,
    );
  });
  const size = pageNum(pages.length);
  const xref = length;
  let table = `xref\n0 ${size}\n0000000000 65535 f \n`;
  for (let i = 1; i < size; i++) table += `${String(offsets[i]).padStart(10, '0')} 00000 n \n`;
  text(table);
  text(`trailer\n<< /Size ${size} /Root 1 0 R /Info 3 0 R >>\nstartxref\n${xref}\n%%EOF\n`);
  return Buffer.concat(chunks, length);
}

function fmt(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(2);
}
