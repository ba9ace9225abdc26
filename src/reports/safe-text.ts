import type { PDFFont } from 'pdf-lib';

/** What is written in place of a character the font has no glyph for. */
const REPLACEMENT = '?';

/** Narrow and figure no-break spaces (French number formats use them): the font has the plain no-break space. */
const NO_BREAK_SPACES = /[\u2007\u202f]/u;

/**
 * A function that makes any text writable in `font`. PDF's standard fonts encode WinAnsi
 * only (enough for English, German and French), and pdf-lib throws on anything else — a
 * Greek subject on a cover page, an emoji. Such a character is written as its unaccented
 * letter when there is one (ő → o), else as `?`; a space or line break the font lacks is a
 * space.
 */
export function textSanitizer(font: PDFFont): (text: string) => string {
  const glyphs = new Set(font.getCharacterSet());
  const writable = (ch: string): boolean => glyphs.has(ch.codePointAt(0)!);
  return (text) => {
    let out = '';
    for (const ch of text.normalize('NFC')) {
      if (writable(ch)) out += ch;
      else if (NO_BREAK_SPACES.test(ch)) out += '\u00a0';
      else if (/\s/u.test(ch)) out += ' ';
      else {
        const [base] = ch.normalize('NFD');
        out += base !== ch && writable(base) ? base : REPLACEMENT;
      }
    }
    return out;
  };
}
