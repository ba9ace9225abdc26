import { cellWidth } from '../formats/text-layout';
import type { Mupdf } from './mupdf';

type MupdfFont = InstanceType<Mupdf['Font']>;
type MupdfDevice = InstanceType<Mupdf['Device']>;

export type FontKind = 'mono' | 'sans' | 'sans-bold';

/** One line of text to draw: baseline origin in points on a y-down page. */
export interface TextRun {
  x: number;
  y: number;
  size: number;
  text: string;
  font: FontKind;
}

/** Base-14 faces built into MuPDF (Latin, Greek, Cyrillic); its CJK font covers the rest. */
const FACES: Record<FontKind, string> = { mono: 'Courier', sans: 'Helvetica', 'sans-bold': 'Helvetica-Bold' };
/** Courier's advance is 600/1000 em. */
export const MONO_ADVANCE = 0.6;

/**
 * Draws text with MuPDF's built-in fonts, falling back glyph by glyph to its CJK font for
 * characters the base-14 face lacks, so any UTF-8 text prints (missing glyphs show as empty).
 */
export class TextPainter {
  private readonly fonts = new Map<string, MupdfFont>();

  constructor(private readonly mupdf: Mupdf) {}

  private font(name: string): MupdfFont {
    let f = this.fonts.get(name);
    if (!f) {
      f = new this.mupdf.Font(name);
      this.fonts.set(name, f);
    }
    return f;
  }

  private glyph(kind: FontKind, codePoint: number): { font: MupdfFont; gid: number } {
    const primary = this.font(FACES[kind]);
    const gid = primary.encodeCharacter(codePoint);
    if (gid > 0 || codePoint === 0x20) return { font: primary, gid };
    const fallback = this.font('zh-Hans');
    return { font: fallback, gid: fallback.encodeCharacter(codePoint) };
  }

  /** Width of a string in points (proportional fonts; monospaced text uses cells). */
  measure(kind: FontKind, text: string, size: number): number {
    let width = 0;
    for (const ch of text) {
      const { font, gid } = this.glyph(kind, ch.codePointAt(0)!);
      width += font.advanceGlyph(gid) * size;
    }
    return width;
  }

  fill(device: MupdfDevice, ctm: number[], runs: TextRun[]): void {
    const text = new this.mupdf.Text();
    try {
      for (const run of runs) {
        let x = run.x;
        for (const ch of run.text) {
          const cp = ch.codePointAt(0)!;
          const { font, gid } = this.glyph(run.font, cp);
          // Glyph space is y-up; the page is y-down, hence −size.
          text.showGlyph(font, [run.size, 0, 0, -run.size, x, run.y], gid, cp);
          x += run.font === 'mono' ? MONO_ADVANCE * run.size * cellWidth(cp) : font.advanceGlyph(gid) * run.size;
        }
      }
      device.fillText(text, ctm as [number, number, number, number, number, number], this.mupdf.ColorSpace.DeviceGray, [0], 1);
    } finally {
      text.destroy();
    }
  }

  destroy(): void {
    for (const f of this.fonts.values()) f.destroy();
    this.fonts.clear();
  }
}
