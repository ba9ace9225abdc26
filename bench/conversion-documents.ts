import { PDFDocument, StandardFonts, degrees, rgb, type PDFFont, type PDFPage } from 'pdf-lib';
import { IMAGE_MARGIN_PT } from '../src/conversion/child/sources/picture';
import { PAPERS } from '../src/conversion/raster/paper';

type Mupdf = typeof import('mupdf', { with: { 'resolution-mode': 'import' } });

/** Deterministic pseudo-random numbers, so every run measures the same documents. */
export function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const WORDS = (
  'the of and to in is that for it as with was on be by this are or from at which an have not but all were ' +
  'invoice payment contract delivery signature agreement schedule amount customer service reference number ' +
  'please confirm receipt attached document pages enclosed regards sincerely department office request'
).split(' ');

function paragraph(random: () => number, words: number): string {
  const out: string[] = [];
  for (let i = 0; i < words; i++) out.push(WORDS[Math.floor(random() * WORDS.length)]);
  const s = out.join(' ');
  return `${s[0].toUpperCase()}${s.slice(1)}.`;
}

function wrap(text: string, font: PDFFont, size: number, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    const next = line ? `${line} ${word}` : word;
    if (font.widthOfTextAtSize(next, size) > width && line) {
      lines.push(line);
      line = word;
    } else line = next;
  }
  if (line) lines.push(line);
  return lines;
}

/** A business-letter page: heading, 11 pt body text, a ruled table, a grey logo box and a footer. */
function letterPage(page: PDFPage, fonts: { body: PDFFont; bold: PDFFont }, random: () => number, n: number): void {
  const { width, height } = page.getSize();
  const left = 60;
  const textWidth = width - 120;
  page.drawRectangle({ x: left, y: height - 90, width: 90, height: 40, color: rgb(0.75, 0.75, 0.75) });
  page.drawText(`Section ${n}: ${paragraph(random, 5)}`, { x: left, y: height - 120, size: 15, font: fonts.bold });
  let y = height - 150;
  while (y > 260) {
    for (const line of wrap(paragraph(random, 40 + Math.floor(random() * 40)), fonts.body, 11, textWidth)) {
      page.drawText(line, { x: left, y, size: 11, font: fonts.body });
      y -= 14;
      if (y <= 260) break;
    }
    y -= 8;
  }
  for (let r = 0; r <= 6; r++) page.drawLine({ start: { x: left, y: 240 - r * 22 }, end: { x: width - 60, y: 240 - r * 22 }, thickness: 0.6 });
  for (let c = 0; c <= 4; c++) {
    const x = left + (c * textWidth) / 4;
    page.drawLine({ start: { x, y: 240 }, end: { x, y: 240 - 6 * 22 }, thickness: 0.6 });
  }
  for (let r = 0; r < 6; r++)
    for (let c = 0; c < 4; c++)
      page.drawText(r === 0 ? `Column ${c + 1}` : (random() * 10000).toFixed(2), {
        x: left + 6 + (c * textWidth) / 4,
        y: 240 - r * 22 - 15,
        size: 10,
        font: r === 0 ? fonts.bold : fonts.body,
      });
  page.drawText(`Page ${n}`, { x: width / 2 - 20, y: 40, size: 9, font: fonts.body });
}

/** A text-heavy A4 PDF of `pages` pages, like the business letters and forms people fax. */
export async function letterPdf(pages: number, seed = 1): Promise<Buffer> {
  const doc = await PDFDocument.create();
  const fonts = { body: await doc.embedFont(StandardFonts.TimesRoman), bold: await doc.embedFont(StandardFonts.HelveticaBold) };
  const random = seeded(seed);
  for (let i = 0; i < pages; i++) letterPage(doc.addPage([595.28, 841.89]), fonts, random, i + 1);
  return Buffer.from(await doc.save());
}

/** A 4000 × 3000 photo-like picture (gradients, discs, noise) as JPEG, made with MuPDF. */
export async function photoJpeg(): Promise<Buffer> {
  const mupdf: Mupdf = await import('mupdf');
  const width = 4000;
  const height = 3000;
  const pixmap = new mupdf.Pixmap(mupdf.ColorSpace.DeviceRGB, [0, 0, width, height], false);
  const px = pixmap.getPixels();
  const stride = pixmap.getStride();
  const random = seeded(5);
  const discs = Array.from({ length: 40 }, () => ({ x: random() * width, y: random() * height, r: 50 + random() * 400, c: random() * 255 }));
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let v = 60 + (150 * x) / width + (40 * y) / height;
      for (const d of discs) if ((x - d.x) ** 2 + (y - d.y) ** 2 < d.r * d.r) v = (v + d.c) / 2;
      v += (random() - 0.5) * 30;
      const o = y * stride + x * 3;
      px[o] = v;
      px[o + 1] = v * 0.9;
      px[o + 2] = v * 0.8;
    }
  }
  const jpeg = Buffer.from(pixmap.asJPEG(88));
  pixmap.destroy();
  return jpeg;
}

/**
 * The photo on an A4 page the way Durafax places a picture (a quarter turn when landscape, top
 * edge to the left; fitted within 10 mm margins; centred), for tools that read PDF, not JPEG.
 * The JPEG is embedded as it is (DCTDecode): a reader decodes the very same bytes.
 */
export async function photoOnA4Pdf(jpeg: Buffer): Promise<Buffer> {
  const doc = await PDFDocument.create();
  const image = await doc.embedJpg(jpeg);
  const { widthPt, heightPt } = PAPERS.a4;
  const page = doc.addPage([widthPt, heightPt]);
  const landscape = image.width > image.height;
  const across = landscape ? image.height : image.width;
  const up = landscape ? image.width : image.height;
  const scale = Math.min((widthPt - 2 * IMAGE_MARGIN_PT) / across, (heightPt - 2 * IMAGE_MARGIN_PT) / up);
  const [w, h] = [across * scale, up * scale];
  const [x, y] = [(widthPt - w) / 2, (heightPt - h) / 2];
  if (landscape) page.drawImage(image, { x: x + w, y, width: h, height: w, rotate: degrees(90) });
  else page.drawImage(image, { x, y, width: w, height: h });
  return Buffer.from(await doc.save());
}
