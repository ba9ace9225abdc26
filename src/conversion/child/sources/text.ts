import type { Paper } from '../../raster/paper';
import { layoutText } from '../../formats/text-layout';
import type { PageSource } from '../page-source';
import { MONO_ADVANCE, type TextPainter } from '../text-painter';

/** Typewriter layout: 10 pt Courier, 6 lines per inch, 15 mm margins. */
const FONT_SIZE = 10;
const LINE_HEIGHT = 12;
const MARGIN_PT = (15 / 25.4) * 72;
/** Baseline below the top of a line box, about Courier's ascent. */
const ASCENT = 0.8 * FONT_SIZE;

export function textGrid(paper: Paper): { columns: number; lines: number } {
  return {
    columns: Math.floor((paper.widthPt - 2 * MARGIN_PT) / (MONO_ADVANCE * FONT_SIZE)),
    lines: Math.floor((paper.heightPt - 2 * MARGIN_PT) / LINE_HEIGHT),
  };
}

/** Plain text as monospaced pages of the target paper size. `pages` comes from layoutText. */
export function textPages(painter: TextPainter, pages: string[][], paper: Paper): PageSource {
  return {
    count: pages.length,
    load: (index) => ({
      bounds: [0, 0, paper.widthPt, paper.heightPt],
      kind: 'generated',
      marginPt: 0,
      draw: (device, ctm) =>
        painter.fill(
          device,
          ctm,
          pages[index].map((line, i) => ({ x: MARGIN_PT, y: MARGIN_PT + i * LINE_HEIGHT + ASCENT, size: FONT_SIZE, text: line, font: 'mono' as const })),
        ),
      destroy: () => undefined,
    }),
    close: () => undefined,
  };
}

export function layoutTextFor(text: string, paper: Paper): string[][] {
  const grid = textGrid(paper);
  return layoutText(text, grid.columns, grid.lines);
}
