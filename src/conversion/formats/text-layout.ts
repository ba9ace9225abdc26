/** Columns a character takes in a monospaced layout: East Asian wide characters take two. */
export function cellWidth(codePoint: number): 1 | 2 {
  const wide =
    (codePoint >= 0x1100 && codePoint <= 0x115f) ||
    (codePoint >= 0x2e80 && codePoint <= 0xa4cf && codePoint !== 0x303f) ||
    (codePoint >= 0xac00 && codePoint <= 0xd7a3) ||
    (codePoint >= 0xf900 && codePoint <= 0xfaff) ||
    (codePoint >= 0xfe30 && codePoint <= 0xfe4f) ||
    (codePoint >= 0xff00 && codePoint <= 0xff60) ||
    (codePoint >= 0xffe0 && codePoint <= 0xffe6) ||
    (codePoint >= 0x20000 && codePoint <= 0x3fffd);
  return wide ? 2 : 1;
}

const TAB = 8;

/** One logical line with tabs expanded and control characters removed, as code points. */
function clean(line: string): string[] {
  const out: string[] = [];
  let col = 0;
  for (const ch of line) {
    const c = ch.codePointAt(0)!;
    if (ch === '\t') {
      const spaces = TAB - (col % TAB);
      for (let i = 0; i < spaces; i++) out.push(' ');
      col += spaces;
    } else if (c >= 0x20 && c !== 0x7f && !(c >= 0x80 && c < 0xa0)) {
      out.push(ch);
      col += cellWidth(c);
    }
  }
  return out;
}

/** Breaks one line into pieces of at most `columns` cells, at the last space where there is one. */
function wrap(chars: string[], columns: number): string[] {
  const lines: string[] = [];
  let start = 0;
  while (start < chars.length) {
    let width = 0;
    let end = start;
    let lastSpace = -1;
    while (end < chars.length) {
      const w = cellWidth(chars[end].codePointAt(0)!);
      if (width + w > columns) break;
      if (chars[end] === ' ') lastSpace = end;
      width += w;
      end++;
    }
    if (end < chars.length && lastSpace > start) {
      lines.push(chars.slice(start, lastSpace).join('').trimEnd());
      start = lastSpace + 1;
    } else {
      lines.push(chars.slice(start, end).join('').trimEnd());
      start = end;
    }
  }
  return lines.length > 0 ? lines : [''];
}

/**
 * Lays out plain text in a monospaced grid: tabs to every 8th column, long lines wrapped at
 * word boundaries (hard-broken when a word is longer than a line), a new page at every form
 * feed and whenever a page is full. Trailing blank lines and pages are dropped; text with
 * nothing printable gives no pages at all.
 */
export function layoutText(text: string, columns: number, linesPerPage: number): string[][] {
  const pages: string[][] = [];
  const sections = text
    .replace(/^\ufeff/, '')
    .replace(/\r\n?/g, '\n')
    .split('\f');
  for (const section of sections) {
    let page: string[] = [];
    for (const logical of section.split('\n')) {
      for (const line of wrap(clean(logical), columns)) {
        if (page.length === linesPerPage) {
          pages.push(page);
          page = [];
        }
        page.push(line);
      }
    }
    pages.push(page);
  }
  // Drop trailing blank lines (a page ending in "\n" or a file ending in "\f") and blank tail pages.
  for (const page of pages) while (page.length > 0 && page[page.length - 1].trim() === '') page.pop();
  while (pages.length > 0 && pages[pages.length - 1].length === 0) pages.pop();
  return pages.some((p) => p.some((l) => l.trim() !== '')) ? pages : [];
}
