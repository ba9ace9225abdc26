/**
 * Breaks text into lines no wider than `width` by a measuring function (proportional
 * fonts): at spaces where possible, inside a word only when the word alone is too wide.
 * Newlines in the text start new lines; blank lines are kept.
 */
export function wrapWords(text: string, width: number, measure: (s: string) => number): string[] {
  const lines: string[] = [];
  for (const paragraph of text.replace(/\r\n?/g, '\n').split('\n')) {
    let line = '';
    for (const word of paragraph.split(/[ \t]+/).filter((w) => w !== '')) {
      const candidate = line === '' ? word : `${line} ${word}`;
      if (measure(candidate) <= width) {
        line = candidate;
        continue;
      }
      if (line !== '') lines.push(line);
      line = '';
      // A word wider than the line is cut where it overflows.
      let rest = word;
      while (measure(rest) > width) {
        const chars = Array.from(rest);
        let n = 1;
        while (n < chars.length && measure(chars.slice(0, n + 1).join('')) <= width) n++;
        lines.push(chars.slice(0, n).join(''));
        rest = chars.slice(n).join('');
      }
      line = rest;
    }
    lines.push(line);
  }
  return lines;
}
