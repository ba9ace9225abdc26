import { execFile } from 'node:child_process';
import path from 'node:path';

export interface PdfPageText {
  text: string;
  /** Pictures drawn on the page. */
  images: number;
}

/**
 * Reads a PDF back with MuPDF, an independent reader. MuPDF is ESM-only and cannot be loaded
 * inside a jest test file, so a plain Node child process does it: the PDF in on stdin, each
 * page's text and picture count out as JSON.
 */
const READER = `
const mupdf = await import('mupdf');
const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const doc = mupdf.Document.openDocument(Buffer.concat(chunks), 'application/pdf');
const pages = [];
for (let i = 0; i < doc.countPages(); i++) {
  const stext = doc.loadPage(i).toStructuredText('preserve-whitespace,preserve-images');
  let images = 0;
  stext.walk({ onImageBlock() { images++; } });
  pages.push({ text: stext.asText(), images });
}
process.stdout.write(JSON.stringify(pages));
`;

const ROOT = path.resolve(__dirname, '../..');

export function pdfPages(pdf: Buffer): Promise<PdfPageText[]> {
  return new Promise((resolve, reject) => {
    const child = execFile(process.execPath, ['--input-type=module', '-e', READER], { cwd: ROOT, maxBuffer: 64 * 1024 * 1024, timeout: 60_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`MuPDF could not read the PDF: ${stderr || err.message}`));
      else resolve(JSON.parse(stdout) as PdfPageText[]);
    });
    child.stdin!.end(pdf);
  });
}

/** The text of every page, joined, with runs of white space made single spaces. */
export async function pdfText(pdf: Buffer): Promise<string> {
  return (await pdfPages(pdf))
    .map((p) => p.text)
    .join('\n')
    .replace(/\s+/g, ' ');
}
