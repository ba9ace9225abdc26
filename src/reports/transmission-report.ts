import { PDFDocument, StandardFonts, rgb, type PDFFont, type PDFImage, type PDFPage, type RGB } from 'pdf-lib';
import type { Operator } from '../config/config';
import type { FaxAttempt } from '../db/entities/fax-attempt';
import type { Fax } from '../db/entities/fax';
import { formatForDisplay } from '../domain/phone';
import { formatMoney } from '../domain/pricing';
import type { Locale } from '../domain/status';
import { t, type Params } from '../i18n';
import { textSanitizer } from './safe-text';

export interface TransmissionReportInput {
  fax: Fax;
  /** The fax's transmission attempts, first to last. */
  attempts: FaxAttempt[];
  /** The `thumbnail` PNG of page 1 while the documents are retained; null once purged. */
  firstPageThumbnail: Buffer | null;
  locale: Locale;
  operator: Operator;
}

// A4 in points, and the page's frame.
const PAGE_WIDTH = 595.28;
const PAGE_HEIGHT = 841.89;
const MARGIN = 50;
const CONTENT_WIDTH = PAGE_WIDTH - 2 * MARGIN;
const BAND_HEIGHT = 64;
/** Content stops here; below it sits the footer. */
const CONTENT_BOTTOM = 78;

const INK = rgb(0.13, 0.15, 0.18);
const MUTED = rgb(0.38, 0.41, 0.46);
const RULE = rgb(0.82, 0.84, 0.87);
const BAND = rgb(0.09, 0.22, 0.4);
const WHITE = rgb(1, 1, 1);
const GOOD = rgb(0.06, 0.45, 0.22);
const BAD = rgb(0.7, 0.12, 0.12);

const LABEL_WIDTH = 150;
const THUMB_WIDTH = 118;
const THUMB_GAP = 24;

/** Attempt table columns: header key and width in points (they add up to the content width). */
const COLUMNS = [
  { key: 'report.attempt.number', width: 34 },
  { key: 'report.attempt.start', width: 108 },
  { key: 'report.attempt.end', width: 108 },
  { key: 'report.attempt.result', width: 95 },
  { key: 'report.attempt.pages', width: 80 },
  { key: 'report.attempt.duration', width: CONTENT_WIDTH - 34 - 108 - 108 - 95 - 80 },
] as const;

const DATE_TIME: Record<Locale, Intl.DateTimeFormat> = {
  en: new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeStyle: 'medium', timeZone: 'UTC' }),
  de: new Intl.DateTimeFormat('de-DE', { dateStyle: 'medium', timeStyle: 'medium', timeZone: 'UTC' }),
  fr: new Intl.DateTimeFormat('fr-FR', { dateStyle: 'medium', timeStyle: 'medium', timeZone: 'UTC' }),
};

interface Fonts {
  regular: PDFFont;
  bold: PDFFont;
  italic: PDFFont;
}

/**
 * The transmission report of a fax as an A4 PDF in the fax's language: destination, pages,
 * times, every attempt with its reason in plain words, the outcome, the amount charged, a
 * thumbnail of page 1 while the documents are kept, the operator and the fax id. Built from
 * the read model alone, so the web and the worker (email receipts) make the same document.
 */
export async function buildTransmissionReport(input: TransmissionReportInput): Promise<Buffer> {
  const { fax, locale } = input;
  const tr = (key: string, params?: Params): string => t(locale, key, params);
  const doc = await PDFDocument.create();
  doc.setTitle(`${tr('report.title')} ${fax.id}`);
  doc.setAuthor(input.operator.name);
  doc.setCreator('Durafax');
  doc.setLanguage(locale);
  const fonts: Fonts = {
    regular: await doc.embedFont(StandardFonts.Helvetica),
    bold: await doc.embedFont(StandardFonts.HelveticaBold),
    italic: await doc.embedFont(StandardFonts.HelveticaOblique),
  };
  const thumbnail = await embedThumbnail(doc, input.firstPageThumbnail);
  const writer = new ReportWriter(doc, fonts, tr('report.header'));

  writeOutcome(writer, input, tr);
  writeDetails(writer, input, tr, thumbnail);
  writeAttempts(writer, input, tr);
  writer.finish((page, pages) => ({
    left: [tr('report.operator', { name: input.operator.name }), tr('report.created', { date: `${DATE_TIME[locale].format(new Date())} UTC` })],
    right: tr('report.page_of', { page, pages }),
  }));
  return Buffer.from(await doc.save());
}

/** A thumbnail that cannot be read costs the report its picture, not its existence. */
async function embedThumbnail(doc: PDFDocument, png: Buffer | null): Promise<PDFImage | null> {
  if (!png) return null;
  try {
    return await doc.embedPng(png);
  } catch {
    return null;
  }
}

type Translate = (key: string, params?: Params) => string;

function writeOutcome(w: ReportWriter, { fax }: TransmissionReportInput, tr: Translate): void {
  w.text(tr('report.outcome').toUpperCase(), { font: w.fonts.bold, size: 8.5, color: MUTED });
  w.gap(4);
  const colour = fax.status === 'delivered' ? GOOD : fax.status === 'failed' || fax.status === 'rejected' ? BAD : INK;
  w.text(tr(`status.${fax.status}`), { font: w.fonts.bold, size: 22, color: colour });
  if (fax.status !== 'delivered' && fax.failureReason) {
    w.gap(4);
    w.paragraph(tr(`reason.${fax.failureReason}`), { size: 11 });
  }
  w.gap(18);
}

function writeDetails(w: ReportWriter, { fax, locale }: TransmissionReportInput, tr: Translate, thumbnail: PDFImage | null): void {
  const when = (d: Date | null): string | null => (d ? DATE_TIME[locale].format(d) : null);
  const rows: Array<[string, string | null]> = [
    [tr('report.fax_id'), fax.id],
    [tr('report.destination'), `${formatForDisplay(fax.toNumber)} (${countryName(fax.country, locale)})`],
    [tr('report.cover_recipient'), fax.cover?.recipientName ?? null],
    [tr('report.cover_subject'), fax.cover?.subject ?? null],
    [tr('report.pages'), fax.pages === null ? null : String(fax.pages)],
    [tr('report.uploaded'), when(fax.createdAt)],
    [tr('report.paid'), when(fax.paidAt)],
    fax.status === 'delivered' ? [tr('report.delivered'), when(fax.deliveredAt)] : [tr('report.ended'), when(fax.completedAt)],
    [tr('report.amount'), amountWords(fax, locale, tr)],
  ];

  // Page 1 sits to the right of the details, or a note says why it does not.
  const firstPage = w.page;
  const x = PAGE_WIDTH - MARGIN - THUMB_WIDTH;
  let y = w.y;
  w.textAt(tr('report.preview'), x, y - 9, { font: w.fonts.bold, size: 8.5, color: MUTED }, THUMB_WIDTH);
  y -= 16;
  if (thumbnail) {
    const height = (thumbnail.height / thumbnail.width) * THUMB_WIDTH;
    w.page.drawRectangle({ x: x - 1, y: y - height - 1, width: THUMB_WIDTH + 2, height: height + 2, borderColor: RULE, borderWidth: 1 });
    w.page.drawImage(thumbnail, { x, y: y - height, width: THUMB_WIDTH, height });
    y -= height + 2;
  } else {
    const note = fax.purgedAt ? tr('report.preview.purged', { date: DATE_TIME[locale].format(fax.purgedAt) }) : tr('report.preview.none');
    y = w.paragraphAt(note, x, y - 9, { font: w.fonts.italic, size: 9, color: MUTED }, THUMB_WIDTH);
  }

  const valueWidth = CONTENT_WIDTH - LABEL_WIDTH - THUMB_WIDTH - THUMB_GAP;
  for (const [label, value] of rows) {
    if (value) w.row(label, value, valueWidth);
  }
  w.text(tr('report.times'), { font: w.fonts.italic, size: 8.5, color: MUTED });
  // Very long details may have moved on to another page; the picture stays behind on the first.
  w.y = (w.page === firstPage ? Math.min(w.y, y) : w.y) - 24;
}

function writeAttempts(w: ReportWriter, { fax, attempts, locale }: TransmissionReportInput, tr: Translate): void {
  w.ensureSpace(60);
  w.text(tr('report.attempts'), { font: w.fonts.bold, size: 13 });
  w.gap(8);
  if (attempts.length === 0) {
    w.paragraph(tr('report.attempts.none'), { size: 10, color: MUTED });
    return;
  }
  const header = (): void => {
    w.cells(
      COLUMNS.map((c) => tr(c.key)),
      { font: w.fonts.bold, size: 8.5, color: MUTED },
    );
    w.rule();
  };
  header();
  for (const a of attempts) {
    const reason = a.reason && a.status !== 'delivered' ? tr(`reason.${a.reason}`) : null;
    // One attempt (and its reason) never splits across pages.
    if (w.ensureSpace(reason ? 40 : 24)) header();
    w.cells(
      [
        String(a.number),
        a.submittedAt ? DATE_TIME[locale].format(a.submittedAt) : '—',
        a.completedAt ? DATE_TIME[locale].format(a.completedAt) : '—',
        tr(`report.attempt.status.${a.status}`),
        a.pagesSent === null ? '—' : fax.pages ? `${a.pagesSent} / ${fax.pages}` : String(a.pagesSent),
        a.durationSecs === null ? '—' : durationWords(a.durationSecs, tr),
      ],
      { size: 9.5 },
    );
    if (reason) w.paragraph(reason, { font: w.fonts.italic, size: 9, color: MUTED, indent: COLUMNS[0].width });
    w.gap(2);
    w.rule();
  }
}

/** What the sender paid in the end, in words. */
function amountWords(fax: Fax, locale: Locale, tr: Translate): string {
  const money = (amount: number): string => formatMoney(amount, fax.currency ?? 'eur', locale);
  switch (fax.paymentState) {
    case 'captured':
      return money(fax.amountCaptured - fax.amountRefunded);
    case 'refunded':
      return tr('report.amount.refunded', { amount: money(fax.amountRefunded || fax.amountCaptured) });
    case 'released':
      return tr('report.amount.not_charged');
    case 'authorized':
      return tr('report.amount.on_hold', { amount: money(fax.priceAmount ?? 0) });
    case 'none':
      return tr('report.amount.none');
  }
}

function durationWords(seconds: number, tr: Translate): string {
  return seconds < 60 ? tr('report.duration.seconds', { seconds }) : tr('report.duration.minutes', { minutes: Math.floor(seconds / 60), seconds: seconds % 60 });
}

function countryName(code: string, locale: Locale): string {
  return new Intl.DisplayNames([locale], { type: 'region' }).of(code.toUpperCase()) ?? code;
}

interface TextStyle {
  font?: PDFFont;
  size?: number;
  color?: RGB;
  /** Points from the left margin. */
  indent?: number;
}

/**
 * Writes the report top-down: a cursor `y`, a new page (with the header band) when the
 * content would reach the footer, and the footers once the page count is known. All text
 * passes through the font's sanitizer first.
 */
class ReportWriter {
  page!: PDFPage;
  y = 0;
  private readonly pages: PDFPage[] = [];
  private readonly safe: (text: string) => string;

  constructor(
    private readonly doc: PDFDocument,
    readonly fonts: Fonts,
    private readonly heading: string,
  ) {
    // The three standard Helvetica faces share one encoding, so one sanitizer serves all.
    this.safe = textSanitizer(fonts.regular);
    this.newPage();
  }

  /** Starts a new page when fewer than `height` points are left; true when it did. */
  ensureSpace(height: number): boolean {
    if (this.y - height >= CONTENT_BOTTOM) return false;
    this.newPage();
    return true;
  }

  gap(points: number): void {
    this.y -= points;
  }

  /** One line of text (cut to the width if it is longer). */
  text(value: string, style: TextStyle = {}): void {
    const size = style.size ?? 10;
    this.ensureSpace(size * 1.4);
    this.textAt(value, MARGIN + (style.indent ?? 0), this.y - size, style, CONTENT_WIDTH - (style.indent ?? 0));
    this.y -= size * 1.4;
  }

  /** Wrapped text across the content width. */
  paragraph(value: string, style: TextStyle = {}): void {
    const size = style.size ?? 10;
    const indent = style.indent ?? 0;
    for (const line of this.wrap(value, style.font ?? this.fonts.regular, size, CONTENT_WIDTH - indent)) {
      this.ensureSpace(size * 1.4);
      this.draw(line, MARGIN + indent, this.y - size, style);
      this.y -= size * 1.4;
    }
  }

  /** A label and its (wrapped) value, side by side. */
  row(label: string, value: string, valueWidth: number): void {
    const size = 10;
    const lines = this.wrap(value, this.fonts.regular, size, valueWidth);
    this.ensureSpace(lines.length * size * 1.45 + 4);
    this.textAt(label, MARGIN, this.y - size, { font: this.fonts.bold, size, color: MUTED }, LABEL_WIDTH - 8);
    for (const line of lines) {
      this.draw(line, MARGIN + LABEL_WIDTH, this.y - size, { size });
      this.y -= size * 1.45;
    }
    this.y -= 4;
  }

  /** One table row: each cell in its column, cut to fit. */
  cells(values: string[], style: TextStyle): void {
    const size = style.size ?? 10;
    let x = MARGIN;
    values.forEach((value, i) => {
      this.textAt(value, x, this.y - size - 3, style, COLUMNS[i].width - 6);
      x += COLUMNS[i].width;
    });
    this.y -= size + 8;
  }

  rule(): void {
    this.page.drawLine({ start: { x: MARGIN, y: this.y }, end: { x: PAGE_WIDTH - MARGIN, y: this.y }, thickness: 0.6, color: RULE });
    this.y -= 1;
  }

  /** Text at a point, cut with an ellipsis to `maxWidth`. */
  textAt(value: string, x: number, y: number, style: TextStyle, maxWidth: number): void {
    const font = style.font ?? this.fonts.regular;
    const size = style.size ?? 10;
    let line = this.safe(value);
    if (font.widthOfTextAtSize(line, size) > maxWidth) {
      while (line.length > 1 && font.widthOfTextAtSize(`${line}…`, size) > maxWidth) line = line.slice(0, -1);
      line = `${line.trimEnd()}…`;
    }
    this.draw(line, x, y, style);
  }

  /** Wrapped text in a column at (x, y); returns the y below it. */
  paragraphAt(value: string, x: number, y: number, style: TextStyle, width: number): number {
    const size = style.size ?? 10;
    for (const line of this.wrap(value, style.font ?? this.fonts.regular, size, width)) {
      this.draw(line, x, y, style);
      y -= size * 1.35;
    }
    return y;
  }

  /** Footers on every page, now that their number is known. */
  finish(footer: (page: number, pages: number) => { left: string[]; right: string }): void {
    this.pages.forEach((page, i) => {
      const { left, right } = footer(i + 1, this.pages.length);
      page.drawLine({ start: { x: MARGIN, y: 56 }, end: { x: PAGE_WIDTH - MARGIN, y: 56 }, thickness: 0.6, color: RULE });
      left.forEach((line, n) => {
        page.drawText(this.safe(line), { x: MARGIN, y: 42 - n * 12, size: 8, font: this.fonts.regular, color: MUTED });
      });
      const text = this.safe(right);
      const width = this.fonts.regular.widthOfTextAtSize(text, 8);
      page.drawText(text, { x: PAGE_WIDTH - MARGIN - width, y: 42, size: 8, font: this.fonts.regular, color: MUTED });
    });
  }

  private newPage(): void {
    this.page = this.doc.addPage([PAGE_WIDTH, PAGE_HEIGHT]);
    this.pages.push(this.page);
    this.page.drawRectangle({ x: 0, y: PAGE_HEIGHT - BAND_HEIGHT, width: PAGE_WIDTH, height: BAND_HEIGHT, color: BAND });
    this.page.drawText(this.safe(this.heading), { x: MARGIN, y: PAGE_HEIGHT - BAND_HEIGHT / 2 - 6, size: 17, font: this.fonts.bold, color: WHITE });
    this.y = PAGE_HEIGHT - BAND_HEIGHT - 32;
  }

  private draw(line: string, x: number, y: number, style: TextStyle): void {
    this.page.drawText(this.safe(line), { x, y, size: style.size ?? 10, font: style.font ?? this.fonts.regular, color: style.color ?? INK });
  }

  /** Lines of at most `width` points, broken between words (a word longer than a line is broken anywhere). */
  private wrap(value: string, font: PDFFont, size: number, width: number): string[] {
    const fits = (s: string): boolean => font.widthOfTextAtSize(s, size) <= width;
    const lines: string[] = [];
    let line = '';
    for (const word of this.safe(value).split(' ').filter(Boolean)) {
      const candidate = line ? `${line} ${word}` : word;
      if (fits(candidate)) {
        line = candidate;
        continue;
      }
      if (line) lines.push(line);
      line = word;
      while (!fits(line)) {
        let cut = line.length - 1;
        while (cut > 1 && !fits(line.slice(0, cut))) cut--;
        lines.push(line.slice(0, cut));
        line = line.slice(cut);
      }
    }
    if (line) lines.push(line);
    return lines;
  }
}
